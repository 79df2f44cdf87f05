// The round sign above a message: '!' for a problem, 'i' for information, a drawn tick when done
// (a font's check mark varies: WenQuanYi draws a square-root sign).
import QtQuick

Rectangle {
    id: badge
    property string kind: "info"   // problem | info | done
    width: Math.round(120 * root.u); height: width; radius: width / 2
    color: kind === "problem" ? root.accent : kind === "done" ? "#2e7d32" : root.calm
    Text {
        anchors.centerIn: parent
        visible: badge.kind !== "done"
        text: badge.kind === "problem" ? "!" : "i"
        color: "white"
        font.pixelSize: Math.round(78 * root.u)
        font.bold: true
    }
    Item {
        visible: badge.kind === "done"
        anchors.fill: parent
        readonly property real t: Math.max(4, badge.width * 0.09)   // stroke
        Rectangle { x: badge.width * 0.25; y: badge.height * 0.52; width: badge.width * 0.24; height: parent.t
                    radius: height / 2; color: "white"; rotation: 45; transformOrigin: Item.Left }
        Rectangle { x: badge.width * 0.38; y: badge.height * 0.66; width: badge.width * 0.44; height: parent.t
                    radius: height / 2; color: "white"; rotation: -50; transformOrigin: Item.Left }
    }
}
