// Attract: "place your ID card" with a card sliding onto the reader, and the language switch.
import QtQuick
import "../parts"

Item {
    id: page
    Text {
        id: title
        objectName: "headline"
        anchors { top: parent.top; topMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.9
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        text: qsTrId(vm.text)
        color: root.ink
        font.pixelSize: Math.round(68 * root.u)
        font.bold: true
    }
    Text {
        id: sub
        objectName: "next"
        anchors { top: title.bottom; topMargin: Math.round(16 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.9
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        text: qsTrId(vm.text + ".next")
        color: root.muted
        font.pixelSize: root.bodySize
    }

    // The reader and a card moving onto it (2.4 s loop): the short animation the issue asks for.
    Item {
        id: stage
        anchors { top: sub.bottom; bottom: langs.top; horizontalCenter: parent.horizontalCenter }
        anchors.topMargin: Math.round(20 * root.u); anchors.bottomMargin: Math.round(20 * root.u)
        width: Math.round(520 * root.u)
        Rectangle {
            id: reader
            anchors { horizontalCenter: parent.horizontalCenter; bottom: parent.bottom }
            width: Math.round(360 * root.u); height: Math.min(parent.height * 0.45, Math.round(120 * root.u))
            radius: Math.round(18 * root.u)
            color: "#2b3440"
            Rectangle {
                anchors.centerIn: parent
                width: parent.width * 0.7; height: parent.height * 0.35; radius: height / 2
                color: "#39c06b"
                SequentialAnimation on opacity {
                    loops: Animation.Infinite
                    NumberAnimation { from: 0.35; to: 1; duration: 1200 }
                    NumberAnimation { from: 1; to: 0.35; duration: 1200 }
                }
            }
        }
        Rectangle {
            id: idcard
            width: Math.round(250 * root.u); height: Math.round(158 * root.u)
            radius: Math.round(12 * root.u)
            anchors.horizontalCenter: parent.horizontalCenter
            color: "#e3eef7"; border.color: root.calm; border.width: Math.max(2, Math.round(3 * root.u))
            Rectangle { x: parent.width * 0.08; y: parent.height * 0.2; width: parent.width * 0.25
                        height: parent.height * 0.55; radius: 6; color: "#b8cde0" }
            Repeater {
                model: 3
                Rectangle { x: parent.width * 0.42; y: parent.height * (0.25 + index * 0.18)
                            width: parent.width * (0.45 - index * 0.08); height: Math.max(4, parent.height * 0.07)
                            radius: height / 2; color: "#9fb7cc" }
            }
            SequentialAnimation on y {
                loops: Animation.Infinite
                NumberAnimation { from: 0; to: Math.max(0, stage.height - reader.height * 0.6 - idcard.height)
                                  duration: 1400; easing.type: Easing.InOutQuad }
                PauseAnimation { duration: 700 }
                NumberAnimation { to: 0; duration: 300 }
            }
        }
    }

    Row {
        id: langs
        objectName: "languages"
        anchors { bottom: parent.bottom; bottomMargin: Math.round(36 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(30 * root.u)
        Repeater {
            model: ["zh", "en"]
            delegate: Button {
                objectName: "lang_" + modelData
                label: qsTrId("ui.lang." + modelData)
                primary: vm.lang === modelData
                onTapped: vm.chooseLanguage(modelData)
            }
        }
    }
}
