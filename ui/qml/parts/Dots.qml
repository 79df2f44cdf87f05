// How many digits were typed (the view model has only the count, never the digits).
import QtQuick

Row {
    id: dots
    property int count: 0
    property int length: 6
    objectName: "dots"
    spacing: Math.round(16 * root.u)
    Repeater {
        model: dots.length
        delegate: Rectangle {
            width: Math.round(56 * root.u); height: Math.round(72 * root.u)
            radius: Math.round(10 * root.u)
            color: root.card
            border.color: index < dots.count ? root.calm : "#9aa4ae"
            border.width: Math.max(2, Math.round(3 * root.u))
            Rectangle {
                anchors.centerIn: parent
                visible: index < dots.count
                width: Math.round(22 * root.u); height: width; radius: width / 2
                color: root.ink
            }
        }
    }
}
