// Done: take the document, then one tap says how it went (anonymous), or go on.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    Column {
        id: body
        anchors { top: parent.top; topMargin: Math.round(36 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.86
        spacing: Math.round(26 * root.u)
        Badge { anchors.horizontalCenter: parent.horizontalCenter; kind: "done" }
        Headline {
            width: parent.width
            headline: qsTrId(vm.text)
            next: root.tr(vm.text + ".next", page.v.reference || "")
        }
    }
    Row {
        objectName: "ratings"
        visible: !page.v.rated
        anchors { top: body.bottom; topMargin: Math.round(30 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(26 * root.u)
        Button { objectName: "rate_satisfied"; width: page.width * 0.27; label: qsTrId("ui.rate_satisfied")
                 onTapped: vm.rate("satisfied") }
        Button { objectName: "rate_neutral"; width: page.width * 0.27; label: qsTrId("ui.rate_neutral")
                 onTapped: vm.rate("neutral") }
        Button { objectName: "rate_unsatisfied"; width: page.width * 0.27; label: qsTrId("ui.rate_unsatisfied")
                 onTapped: vm.rate("unsatisfied") }
    }
    Row {
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(30 * root.u)
        Button { objectName: "back"; label: qsTrId("ui.back_to_menu"); onTapped: vm.back() }
        Button { objectName: "finish"; primary: true; label: qsTrId("ui.finish"); onTapped: vm.exit() }
    }
}
