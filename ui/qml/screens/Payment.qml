// Pay for a replacement badge: central's WeChat Pay code as a QR, the amount, the time left, cancel.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    function money(cents) { return "¥" + ((cents || 0) / 100).toFixed(2) }
    function clock(s) { var m = Math.floor(s / 60), r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r }
    Rectangle {
        id: qr
        objectName: "payment_qr"
        anchors { left: parent.left; leftMargin: Math.round(90 * root.u); verticalCenter: parent.verticalCenter
                  verticalCenterOffset: -Math.round(20 * root.u) }
        width: Math.round(440 * root.u); height: width
        color: "white"; radius: Math.round(12 * root.u)
        border.color: "#1aad19"; border.width: Math.max(2, Math.round(6 * root.u))   // WeChat green
        Image {
            anchors.fill: parent; anchors.margins: Math.round(18 * root.u)
            source: page.v.qr_url || ""
            fillMode: Image.PreserveAspectFit
            cache: false; smooth: false
        }
    }
    Column {
        anchors { left: qr.right; leftMargin: Math.round(60 * root.u); right: parent.right
                  rightMargin: Math.round(50 * root.u); top: qr.top }
        spacing: Math.round(22 * root.u)
        Text {
            objectName: "amount"
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            text: page.money(page.v.amount_cents)
            color: root.ink
            font.pixelSize: Math.round(84 * root.u)
            font.bold: true
        }
        Headline {
            width: parent.width
            headline: qsTrId(vm.text)
            next: root.tr(vm.text + ".next", page.clock(page.v.countdown_s || 0))
        }
        Text {
            objectName: "order"
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: root.tr("ui.order_number", page.v.reference || "")
            color: root.muted
            font.pixelSize: root.smallSize
        }
    }
    Button {
        objectName: "cancel"
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); right: parent.right
                  rightMargin: Math.round(50 * root.u) }
        label: qsTrId("ui.cancel_payment")
        onTapped: vm.back()
    }
}
