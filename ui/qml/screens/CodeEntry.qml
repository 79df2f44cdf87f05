// The SMS code (6 digits, sent to the masked phone) or the technician PIN, typed on the keypad.
// Only the count of digits typed is known here, never the digits.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    readonly property bool sms: vm.screen === "code_entry"
    readonly property int typed: v.digits_entered || 0
    readonly property int resendIn: v.resend_in_s || 0

    Column {
        id: left
        anchors { left: parent.left; leftMargin: Math.round(50 * root.u); top: parent.top
                  topMargin: Math.round(36 * root.u); right: pad.left; rightMargin: Math.round(40 * root.u) }
        spacing: Math.round(28 * root.u)
        Headline {
            width: parent.width
            headline: root.tr(vm.text, page.v.masked_phone || "", page.v.attempts_left || 0)
            next: root.tr(vm.text + ".next", page.v.masked_phone || "", page.v.attempts_left || 0)
            tone: vm.text.indexOf(".wrong") > 0 ? root.accent : root.ink
        }
        Dots {
            anchors.horizontalCenter: parent.horizontalCenter
            count: page.typed
            length: page.sms ? 6 : Math.max(6, page.typed)
        }
    }
    Row {
        anchors { left: parent.left; leftMargin: Math.round(50 * root.u); bottom: parent.bottom
                  bottomMargin: Math.round(40 * root.u) }
        spacing: Math.round(24 * root.u)
        Button {
            objectName: "resend"
            visible: page.sms
            enabled_: page.resendIn <= 0
            label: page.resendIn > 0 ? root.tr("ui.resend_in", page.resendIn) : qsTrId("ui.resend")
            onTapped: vm.resend()
        }
        Button {
            objectName: "cancel"
            label: qsTrId("ui.cancel")
            onTapped: vm.back()
        }
    }
    Keypad {
        id: pad
        anchors { right: parent.right; rightMargin: Math.round(50 * root.u); verticalCenter: parent.verticalCenter }
        okEnabled: page.typed > 0
    }
}
