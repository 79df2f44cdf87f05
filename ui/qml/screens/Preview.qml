// A document before it prints: the certificate's page (drawn from its PDF) or the badge's card, beside
// what it is and the buttons.  The picture is a file in the visit's own folder (gone with the wipe).
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    readonly property bool badge: vm.screen === "badge_preview"
    Rectangle {
        id: frame
        objectName: "preview"
        anchors { left: parent.left; leftMargin: Math.round(50 * root.u); top: parent.top
                  topMargin: Math.round(26 * root.u); bottom: parent.bottom; bottomMargin: Math.round(26 * root.u) }
        // A4 is 1:1.414, a CR80 card 1:1.586 (portrait)
        width: height / (page.badge ? 1.586 : 1.414)
        color: "white"; border.color: "#b0b7be"; border.width: Math.max(1, Math.round(2 * root.u))
        Image {
            anchors.fill: parent; anchors.margins: Math.max(1, Math.round(2 * root.u))
            source: page.v.preview_url || ""
            fillMode: Image.PreserveAspectFit
            cache: false; asynchronous: false; smooth: true; mipmap: true
        }
    }
    Column {
        anchors { left: frame.right; leftMargin: Math.round(50 * root.u); right: parent.right
                  rightMargin: Math.round(50 * root.u); top: parent.top; topMargin: Math.round(60 * root.u) }
        spacing: Math.round(24 * root.u)
        Text {
            objectName: "service_title"
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: page.v.title_key ? qsTrId(page.v.title_key) : ""
            color: root.calm
            font.pixelSize: root.bodySize
            font.bold: true
        }
        Headline {
            width: parent.width
            headline: qsTrId(vm.text)
            next: root.tr(vm.text + ".next", page.v.reference || "")
        }
    }
    Column {
        anchors { left: frame.right; leftMargin: Math.round(50 * root.u); right: parent.right
                  rightMargin: Math.round(50 * root.u); bottom: parent.bottom; bottomMargin: Math.round(40 * root.u) }
        spacing: Math.round(24 * root.u)
        Button { objectName: "print"; width: parent.width; primary: true; label: qsTrId("ui.print")
                 onTapped: vm.printIt() }
        // A certificate can be left unprinted (back to the menu); a paid card is printed or refunded.
        Button { objectName: page.badge ? "finish" : "back"; width: parent.width
                 label: page.badge ? qsTrId("ui.leave_refund") : qsTrId("ui.back_to_menu")
                 onTapped: page.badge ? vm.exit() : vm.back() }
    }
}
