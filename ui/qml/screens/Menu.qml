// The menu: a greeting with the masked name, one tile per service (part 2 fills them in), my records.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    readonly property var tiles: v.services || []
    Text {
        id: hello
        objectName: "headline"
        anchors { top: parent.top; topMargin: Math.round(30 * root.u); left: parent.left; right: parent.right
                  leftMargin: Math.round(50 * root.u); rightMargin: Math.round(50 * root.u) }
        wrapMode: Text.Wrap
        text: root.tr(vm.text, page.v.masked_name || "")
        color: root.ink
        font.pixelSize: root.titleSize
        font.bold: true
    }
    Grid {
        id: grid
        objectName: "services"
        anchors { top: hello.bottom; topMargin: Math.round(30 * root.u); horizontalCenter: parent.horizontalCenter }
        columns: 3
        spacing: Math.round(26 * root.u)
        readonly property int tileW: Math.round((page.width - Math.round(100 * root.u) - 2 * spacing) / 3)
        Repeater {
            model: page.tiles
            delegate: Rectangle {
                objectName: "service_" + modelData.id
                width: grid.tileW
                height: Math.max(root.target, Math.round(150 * root.u))
                radius: Math.round(18 * root.u)
                color: !modelData.available ? "#e4e6e8" : (tileArea.pressed ? "#c9d6e0" : root.card)
                border.color: modelData.available ? root.calm : "#b0b7be"
                border.width: Math.max(2, Math.round(3 * root.u))
                Column {
                    anchors.centerIn: parent
                    width: parent.width - Math.round(30 * root.u)
                    spacing: Math.round(8 * root.u)
                    Text {
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        wrapMode: Text.Wrap
                        maximumLineCount: 2
                        elide: Text.ElideRight
                        text: qsTrId(modelData.title_key)
                        color: modelData.available ? root.ink : root.muted
                        font.pixelSize: root.bodySize
                        font.bold: true
                    }
                    Text {
                        width: parent.width
                        visible: !modelData.available && !!modelData.reason_key
                        horizontalAlignment: Text.AlignHCenter
                        wrapMode: Text.Wrap
                        text: modelData.reason_key ? qsTrId(modelData.reason_key) : ""
                        color: root.muted
                        font.pixelSize: root.smallSize
                    }
                }
                MouseArea { id: tileArea; anchors.fill: parent; enabled: modelData.available
                            onClicked: vm.service(modelData.id) }
            }
        }
    }
    Button {
        objectName: "finish"
        anchors { bottom: parent.bottom; bottomMargin: Math.round(36 * root.u); right: parent.right
                  rightMargin: Math.round(50 * root.u) }
        primary: true
        label: qsTrId("ui.finish")
        onTapped: vm.exit()
    }
}
