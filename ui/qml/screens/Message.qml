// One page for every screen that is a message plus choices: the identify errors, the SMS and face
// problems, the lock and goodbye.  The flow's text key gives the headline; key + ".next" says what
// to do next.  Numbers (minutes locked, tries left) fill the %1 of the translation.
import QtQuick
import "../parts"

Item {
    id: page
    readonly property var v: vm.view
    readonly property string s: vm.screen
    readonly property var problems: ["unknown_person", "employee_left", "card_expired", "invalid_id",
                                     "reader_fault", "code_locked", "face_failed", "sms_unavailable", "card_left",
                                     "print_failed", "service_failed", "not_provisioned"]

    function number() {
        if (s === "code_locked") return Math.max(1, Math.ceil((v.locked_until_s || 0) / 60))
        if (s === "refund_requested") return "¥" + ((v.amount_cents || 0) / 100).toFixed(2)
        return 0
    }
    // Each choice: [message id of the label, what it sends, primary?]
    function choices() {
        // Goodbye times out by itself, a card left ends when lifted, a reader fault when the reader
        // answers again (or a technician comes): no button would help.
        if (s === "goodbye" || s === "card_left" || s === "reader_fault" || s === "not_provisioned") return []
        // A failed print goes again as the same document (same serial, no new charge); a paid card left
        // unprinted is refunded when the visit ends.
        if (s === "print_failed") return [["ui.print_again", "print", true],
                                          v.paid ? ["ui.finish", "exit", false] : ["ui.back_to_menu", "back", false]]
        if (s === "service_failed") return [["ui.back_to_menu", "back", true], ["ui.finish", "exit", false]]
        if (s === "refund_requested") return [["ui.done", "exit", true]]
        if (s === "sms_unavailable") {
            var out = []
            var fb = v.fallbacks || []
            // A failed send is no send: the flow lets the code be asked for again (resend_in_s 0).
            // (Not without a phone on file, nor past the hourly cap: sending again cannot help there.)
            if (v.resend_in_s !== undefined && v.resend_in_s <= 0 && vm.text !== "sms_unavailable.no_phone"
                    && vm.text !== "sms_unavailable.hourly_limit") out.push(["ui.resend", "resend", true])
            for (var i = 0; i < fb.length; i++) out.push(["fallback." + fb[i], "fallback:" + fb[i], out.length === 0])
            out.push(["ui.finish", "exit", fb.length === 0])
            return out
        }
        if (s === "face_failed" || s === "code_locked") return [["ui.finish", "exit", true]]
        return [["ui.back_to_start", "back", true]]
    }
    function act(what) {
        if (what === "back") vm.back()
        else if (what === "exit") vm.exit()
        else if (what === "resend") vm.resend()
        else if (what === "print") vm.printIt()
        else if (what.indexOf("fallback:") === 0) vm.fallback(what.substring(9))
    }

    Column {
        id: body
        anchors { top: parent.top; topMargin: Math.round(48 * root.u); horizontalCenter: parent.horizontalCenter }
        width: parent.width * 0.86
        spacing: Math.round(30 * root.u)
        Badge {
            anchors.horizontalCenter: parent.horizontalCenter
            // A tick only for a visit that ended well; "could not verify you" is a problem.
            kind: page.problems.indexOf(page.s) >= 0 || vm.text === "goodbye.denied" ? "problem"
                  : vm.text === "goodbye" ? "done" : "info"
        }
        Headline {
            width: parent.width
            headline: root.tr(vm.text, page.number())
            next: root.tr(vm.text + ".next", page.number())
        }
        // Not provisioned: the first boot's own words (plain English, no personal data).
        Text {
            objectName: "detail"
            width: parent.width
            visible: !!page.v.detail
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: page.v.detail || ""
            color: root.muted
            font.pixelSize: root.smallSize
            font.family: "monospace"
        }
    }
    Row {
        id: choiceRow
        objectName: "choices"
        anchors { bottom: parent.bottom; bottomMargin: Math.round(40 * root.u); horizontalCenter: parent.horizontalCenter }
        spacing: Math.round(30 * root.u)
        Repeater {
            model: page.choices()
            delegate: Button {
                objectName: "choice_" + modelData[1].replace(":", "_")
                // Up to four choices share the width (the label shrinks to fit before it is cut).
                width: Math.min(implicitWidth, (page.width * 0.94 - choiceRow.spacing * 3) / Math.max(1, page.choices().length))
                label: qsTrId(modelData[0])
                primary: modelData[2]
                onTapped: page.act(modelData[1])
            }
        }
    }
}
