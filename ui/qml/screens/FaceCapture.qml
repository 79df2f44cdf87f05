// Face check: look at the camera.  No picture is shown (the view model carries none): an oval guide.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    Row {
        anchors.centerIn: parent
        anchors.verticalCenterOffset: -Math.round(40 * root.u)
        spacing: Math.round(60 * root.u)
        Rectangle {
            width: Math.round(260 * root.u); height: Math.round(340 * root.u); radius: width / 2
            color: "transparent"; border.color: root.calm; border.width: Math.max(3, Math.round(8 * root.u))
            SequentialAnimation on border.color {
                loops: Animation.Infinite
                ColorAnimation { to: "#39c06b"; duration: 900 }
                ColorAnimation { to: root.calm; duration: 900 }
            }
        }
        Headline {
            width: page.width * 0.5
            anchors.verticalCenter: parent.verticalCenter
            headline: qsTrId(vm.text)
            next: root.tr(vm.text + ".next", page.v.face_attempts_left || 0)
        }
    }
    // After a failed attempt (the text names why) the employee retries when ready.
    readonly property bool failed: vm.text !== "face_capture" && vm.text !== "face_capture.loading_photo"
    Row {
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(30 * root.u)
        Button { objectName: "try_again"; visible: page.failed; primary: true; label: qsTrId("ui.try_again")
                 onTapped: vm.tryAgain() }
        Button { objectName: "cancel"; label: qsTrId("ui.cancel"); onTapped: vm.back() }
    }
}
