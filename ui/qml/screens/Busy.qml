// Reading the card, sending the code: a moving ring so the screen never looks frozen, and a way out.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    Column {
        anchors { top: parent.top; topMargin: Math.round(60 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.86
        spacing: Math.round(40 * root.u)
        Item {
            anchors.horizontalCenter: parent.horizontalCenter
            width: Math.round(130 * root.u); height: width
            Repeater {
                model: 8
                Rectangle {
                    readonly property real a: index * Math.PI / 4
                    x: parent.width / 2 + Math.cos(a) * parent.width * 0.4 - width / 2
                    y: parent.height / 2 + Math.sin(a) * parent.height * 0.4 - height / 2
                    width: Math.round(22 * root.u); height: width; radius: width / 2
                    color: root.calm; opacity: 0.2 + index * 0.1
                }
            }
            RotationAnimation on rotation { from: 0; to: 360; duration: 1600; loops: Animation.Infinite }
        }
        Headline {
            width: parent.width
            headline: root.tr(vm.text, page.v.masked_phone || page.v.reference || "")
            next: root.tr(vm.text + ".next", page.v.masked_phone || page.v.reference || "")
        }
    }
    Button {
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        objectName: "cancel"
        visible: vm.screen === "sms_sending"
        label: qsTrId("ui.cancel")
        onTapped: vm.back()
    }
}
