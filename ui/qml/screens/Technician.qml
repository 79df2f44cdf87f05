// Technician mode: device health, selftest, recent (masked) log lines.  No way out but "finish".
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    Text {
        id: title
        objectName: "headline"
        anchors { top: parent.top; topMargin: Math.round(20 * root.u); left: parent.left; leftMargin: Math.round(40 * root.u) }
        text: qsTrId(vm.text)
        color: root.ink; font.pixelSize: Math.round(44 * root.u); font.bold: true
    }
    Column {
        id: health
        objectName: "health"
        anchors { top: title.bottom; topMargin: Math.round(14 * root.u); left: parent.left; leftMargin: Math.round(40 * root.u) }
        width: parent.width * 0.5
        spacing: Math.round(8 * root.u)
        Repeater {
            model: page.v.health || []
            delegate: Row {
                spacing: Math.round(14 * root.u)
                Rectangle { width: Math.round(26 * root.u); height: width; radius: width / 2
                            anchors.verticalCenter: parent.verticalCenter
                            color: modelData.ok ? "#2e7d32" : root.accent }
                Text { objectName: "health_device"; width: Math.round(190 * root.u); text: modelData.device
                       elide: Text.ElideRight; color: root.ink; font.pixelSize: root.smallSize; font.bold: true }
                Text { objectName: "health_summary"; width: health.width - Math.round(240 * root.u); text: modelData.summary
                       elide: Text.ElideRight; color: root.muted; font.pixelSize: root.smallSize }
            }
        }
    }
    Rectangle {
        id: logs
        anchors { top: title.bottom; topMargin: Math.round(14 * root.u); left: health.right
                  leftMargin: Math.round(20 * root.u); right: parent.right; rightMargin: Math.round(40 * root.u)
                  bottom: buttons.top; bottomMargin: Math.round(20 * root.u) }
        color: "#1d2733"; radius: Math.round(10 * root.u)
        clip: true
        Column {
            anchors { fill: parent; margins: Math.round(14 * root.u) }
            spacing: Math.round(4 * root.u)
            Repeater {
                model: (page.v.log_lines || []).slice(-14)
                delegate: Text { objectName: "log_line"; width: logs.width - Math.round(28 * root.u); text: modelData; elide: Text.ElideRight
                                 color: "#d6e2ea"; font.family: "DejaVu Sans Mono"
                                 font.pixelSize: Math.max(12, Math.round(18 * root.u)) }
            }
        }
    }
    Row {
        id: buttons
        anchors { bottom: parent.bottom; bottomMargin: Math.round(30 * root.u); right: parent.right
                  rightMargin: Math.round(40 * root.u) }
        spacing: Math.round(26 * root.u)
        Button { objectName: "selftest"; primary: true; label: qsTrId("ui.selftest"); onTapped: vm.selftest() }
        Button { objectName: "finish"; label: qsTrId("ui.finish"); onTapped: vm.exit() }
    }
}
