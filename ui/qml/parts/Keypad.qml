// The on-screen numeric keypad: 1-9, then back, 0, OK.  Each key is a touch target of root.target.
import QtQuick

Grid {
    id: pad
    objectName: "keypad"
    property bool okEnabled: true
    columns: 3
    spacing: Math.round(14 * root.u)
    readonly property int keyW: Math.round(root.target * 1.25)
    readonly property int keyH: root.target
    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok"]
        delegate: Rectangle {
            objectName: "key_" + modelData
            width: pad.keyW; height: pad.keyH
            radius: Math.round(14 * root.u)
            color: keyArea.pressed ? "#c9d6e0" : (modelData === "ok" ? root.calm : root.card)
            border.color: "#9aa4ae"; border.width: Math.max(2, Math.round(3 * root.u))
            opacity: modelData === "ok" && !pad.okEnabled ? 0.45 : 1
            Text {
                anchors.centerIn: parent
                width: parent.width - 8
                horizontalAlignment: Text.AlignHCenter
                text: modelData === "back" ? qsTrId("ui.key.back") : modelData === "ok" ? qsTrId("ui.key.ok") : modelData
                color: modelData === "ok" ? "white" : root.ink
                font.pixelSize: modelData.length > 1 ? root.bodySize : Math.round(52 * root.u)
                font.bold: true
                fontSizeMode: Text.HorizontalFit
                minimumPixelSize: root.smallSize
            }
            MouseArea {
                id: keyArea
                anchors.fill: parent
                enabled: modelData !== "ok" || pad.okEnabled
                onClicked: vm.key(modelData)
            }
        }
    }
}
