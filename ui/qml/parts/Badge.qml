// The round sign above a message: '!' for a problem, 'i' for information, a tick when done.
import QtQuick

Rectangle {
    property string kind: "info"   // problem | info | done
    width: Math.round(120 * root.u); height: width; radius: width / 2
    color: kind === "problem" ? root.accent : kind === "done" ? "#2e7d32" : root.calm
    Text {
        anchors.centerIn: parent
        text: parent.kind === "problem" ? "!" : parent.kind === "done" ? "\u2713" : "i"
        color: "white"
        font.pixelSize: Math.round(78 * root.u)
        font.bold: true
    }
}
