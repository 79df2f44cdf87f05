// A touch target: at least root.target px high (110 at 1280x800) and wide, a label from a message id.
import QtQuick

Rectangle {
    id: button
    property string label: ""
    property bool primary: false
    property bool enabled_: true
    signal tapped()
    objectName: "button"
    implicitWidth: Math.max(root.target * 2.6, caption.implicitWidth + root.target * 0.6)
    implicitHeight: root.target
    radius: Math.round(16 * root.u)
    color: !enabled_ ? "#d5d8dc" : (area.pressed ? Qt.darker(base, 1.2) : base)
    readonly property color base: primary ? root.calm : root.card
    border.color: primary ? root.calm : "#9aa4ae"
    border.width: Math.max(2, Math.round(3 * root.u))
    Text {
        id: caption
        anchors.centerIn: parent
        width: parent.width - root.target * 0.3
        horizontalAlignment: Text.AlignHCenter
        text: button.label
        color: !button.enabled_ ? "#6b7580" : (button.primary ? "white" : root.ink)
        font.pixelSize: root.bodySize
        font.bold: button.primary
        // A long label wraps to a second line, then shrinks, before anything is cut.
        height: parent.height - root.target * 0.12
        verticalAlignment: Text.AlignVCenter
        wrapMode: Text.WordWrap
        maximumLineCount: 2
        lineHeight: 0.95
        fontSizeMode: Text.Fit
        minimumPixelSize: root.smallSize
        elide: Text.ElideRight
    }
    MouseArea { id: area; anchors.fill: parent; enabled: button.enabled_; onClicked: button.tapped() }
}
