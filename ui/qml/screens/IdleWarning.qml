// Idle: a countdown before the session ends.  Any touch (the window sends Touch) keeps the session.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    Column {
        anchors { top: parent.top; topMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.86
        spacing: Math.round(24 * root.u)
        Text {
            objectName: "countdown"
            anchors.horizontalCenter: parent.horizontalCenter
            text: String(page.v.countdown_s || 0)
            color: root.accent
            font.pixelSize: Math.round(150 * root.u)
            font.bold: true
        }
        Headline {
            width: parent.width
            headline: root.tr(vm.text, page.v.countdown_s || 0)
            next: root.tr(vm.text + ".next", page.v.countdown_s || 0)
        }
    }
    Row {
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(30 * root.u)
        Button { objectName: "continue"; primary: true; label: qsTrId("ui.continue"); onTapped: vm.touch() }
        Button { objectName: "finish"; label: qsTrId("ui.finish"); onTapped: vm.exit() }
    }
}
