// Why a replacement badge: lost or damaged, each with its fee (central's policy).
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    function money(cents) { return "¥" + ((cents || 0) / 100).toFixed(2) }
    Headline {
        id: head
        anchors { top: parent.top; topMargin: Math.round(48 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.86
        headline: qsTrId(vm.text)
        next: qsTrId(vm.text + ".next")
    }
    Row {
        anchors { top: head.bottom; topMargin: Math.round(50 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(40 * root.u)
        Button { objectName: "reason_lost"; width: page.width * 0.36; primary: true
                 label: root.tr("ui.badge_lost", page.money((page.v.fees_cents || {}).lost))
                 onTapped: vm.chooseReason("lost") }
        Button { objectName: "reason_damaged"; width: page.width * 0.36; primary: true
                 label: root.tr("ui.badge_damaged", page.money((page.v.fees_cents || {}).damaged))
                 onTapped: vm.chooseReason("damaged") }
    }
    Button {
        objectName: "back"
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        label: qsTrId("ui.back_to_menu")
        onTapped: vm.back()
    }
}
