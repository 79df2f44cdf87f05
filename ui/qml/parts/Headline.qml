// A screen's headline and its next step, wrapped, centred, in the current language.
import QtQuick

Column {
    id: block
    property string headline: ""
    property string next: ""
    property color tone: root.ink
    spacing: Math.round(22 * root.u)
    Text {
        objectName: "headline"
        width: block.width
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        text: block.headline
        color: block.tone
        font.pixelSize: root.titleSize
        font.bold: true
        lineHeight: 1.1
    }
    Text {
        objectName: "next"
        width: block.width
        visible: text.length > 0
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        text: block.next
        color: root.muted
        font.pixelSize: root.bodySize
        lineHeight: 1.15
    }
}
