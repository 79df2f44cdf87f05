// My records: this employee's past kiosk transactions (local store and central's feed), newest first.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    readonly property var rows: v.records || []
    Text {
        id: title
        objectName: "headline"
        anchors { top: parent.top; topMargin: Math.round(26 * root.u); left: parent.left; leftMargin: Math.round(50 * root.u) }
        text: qsTrId(vm.text)
        color: root.ink
        font.pixelSize: root.titleSize
        font.bold: true
    }
    Text {
        id: note
        anchors { top: title.bottom; topMargin: Math.round(6 * root.u); left: title.left; right: parent.right
                  rightMargin: Math.round(50 * root.u) }
        visible: page.v.records_central === false || page.rows.length === 0
        wrapMode: Text.Wrap
        text: page.rows.length === 0 ? qsTrId("ui.records.none")
                                     : qsTrId("ui.records.local_only")
        color: root.muted
        font.pixelSize: root.smallSize
    }
    ListView {
        id: list
        objectName: "records"
        anchors { top: note.visible ? note.bottom : title.bottom; topMargin: Math.round(18 * root.u)
                  left: parent.left; right: parent.right; bottom: back.top; bottomMargin: Math.round(20 * root.u)
                  leftMargin: Math.round(50 * root.u); rightMargin: Math.round(50 * root.u) }
        clip: true
        spacing: Math.round(10 * root.u)
        model: page.rows
        delegate: Rectangle {
            width: list.width
            height: Math.round(76 * root.u)
            radius: Math.round(12 * root.u)
            color: root.card
            border.color: "#c7cdd3"
            Row {
                anchors { fill: parent; leftMargin: Math.round(24 * root.u); rightMargin: Math.round(24 * root.u) }
                spacing: Math.round(24 * root.u)
                Text { width: parent.width * 0.32; anchors.verticalCenter: parent.verticalCenter
                       text: String(modelData.when).replace("T", " ").substring(0, 16)
                       color: root.muted; font.pixelSize: root.smallSize }
                Text { width: parent.width * 0.4; anchors.verticalCenter: parent.verticalCenter
                       elide: Text.ElideRight
                       text: root.trOr("record.kind." + modelData.kind, modelData.kind)
                       color: root.ink; font.pixelSize: root.smallSize; font.bold: true }
                Text { width: parent.width * 0.2; anchors.verticalCenter: parent.verticalCenter
                       elide: Text.ElideRight
                       text: root.trOr("record.status." + modelData.status, modelData.status)
                       color: root.ink; font.pixelSize: root.smallSize }
            }
        }
    }
    Button {
        id: back
        objectName: "back"
        anchors { bottom: parent.bottom; bottomMargin: Math.round(30 * root.u); horizontalCenter: parent.horizontalCenter }
        label: qsTrId("ui.back")
        onTapped: vm.back()
    }
}
