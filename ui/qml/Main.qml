// The kiosk's one window.  It shows vm.page (ui/bridge.py PAGES) for vm.screen and nothing else:
// every decision is the flow's.  Sizes scale with the window: u = 1 at 1280x800.
import QtQuick

Item {
    id: root
    width: 1280; height: 800
    // 1 at 1280x800, 1.35 at 1920x1080, 0.6 at 800x480 (targets stay >= 64 px there: ~10 mm on a 7" panel).
    readonly property real u: Math.min(width / 1280, height / 800)
    readonly property var v: vm.view
    readonly property color ink: "#1d2733"
    readonly property color muted: "#4a5663"
    readonly property color accent: "#b3261e"
    readonly property color calm: "#1f5f8b"
    readonly property color paper: "#f4f1ea"
    readonly property color card: "#ffffff"
    readonly property int bodySize: Math.round(36 * u)   // arm's length: >= 36 px body text at 1280x800
    readonly property int titleSize: Math.round(60 * u)
    readonly property int smallSize: Math.round(28 * u)
    readonly property int target: Math.max(64, Math.round(110 * u))   // touch target height

    // The translation of message id `key` with %1 and %2 filled in (missing ones stay empty).
    function tr(key, a, b) {
        var s = qsTrId(key)
        return s.replace("%1", a === undefined ? "" : a).replace("%2", b === undefined ? "" : b)
    }
    // Where a Text item's glyphs are, in window coordinates: [x, y, width, height] (ui/layout.py).
    function paintedRect(item) {
        var w = item.width, h = item.height
        var cw = Math.min(item.contentWidth, w), ch = Math.min(item.contentHeight, Math.max(h, 1))
        var a = item.effectiveHorizontalAlignment
        var dx = a === Text.AlignHCenter ? (w - cw) / 2 : a === Text.AlignRight ? w - cw : 0
        var va = item.verticalAlignment
        var dy = va === Text.AlignVCenter ? (h - ch) / 2 : va === Text.AlignBottom ? h - ch : 0
        var p = item.mapToItem(null, dx, dy)
        return [p.x, p.y, cw, ch]
    }
    // The translation of `key`, or `raw` when the .ts has none (record kinds central may add later).
    function trOr(key, raw) {
        var s = qsTrId(key)
        return s === key ? raw : s
    }

    Rectangle { anchors.fill: parent; color: root.paper }

    // Header: the service's name, always in view.
    Rectangle {
        id: header
        anchors { left: parent.left; right: parent.right; top: parent.top }
        height: Math.round(84 * root.u)
        color: root.calm
        Text {
            anchors.centerIn: parent
            text: qsTrId("ui.header")
            color: "white"
            font.pixelSize: Math.round(34 * root.u)
            font.bold: true
        }
    }

    Loader {
        id: page
        objectName: "page"
        anchors { left: parent.left; right: parent.right; top: header.bottom; bottom: parent.bottom }
        source: "screens/" + vm.page + ".qml"
    }

    // The technician's hidden gesture: 5 taps within 3 s in the top-left corner (no visual).
    MouseArea {
        objectName: "technicianCorner"
        anchors { left: parent.left; top: parent.top }
        width: Math.round(110 * root.u); height: Math.round(84 * root.u)
        property int taps: 0
        onClicked: { taps += 1; tapWindow.restart(); if (taps >= 5) { taps = 0; vm.technicianGesture() } }
        Timer { id: tapWindow; interval: 3000; onTriggered: parent.taps = 0 }
    }
}
