<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name></name>
    <message id="attract">
        <source>Place your ID card on the reader</source>
        <translation>Place your ID card on the reader</translation>
    </message>
    <message id="attract.next">
        <source>Then follow the steps on the screen</source>
        <translation>Then follow the steps on the screen</translation>
    </message>
    <message id="reading">
        <source>Reading your ID card...</source>
        <translation>Reading your ID card...</translation>
    </message>
    <message id="reading.next">
        <source>Please keep the card still</source>
        <translation>Please keep the card still</translation>
    </message>
    <message id="unknown_person">
        <source>We could not find you in the staff directory</source>
        <translation>We could not find you in the staff directory</translation>
    </message>
    <message id="unknown_person.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="unknown_person.directory_missing">
        <source>The staff directory is not available yet</source>
        <translation>The staff directory is not available yet</translation>
    </message>
    <message id="unknown_person.directory_missing.next">
        <source>Please take your card and try again later, or ask at the service desk</source>
        <translation>Please take your card and try again later, or ask at the service desk</translation>
    </message>
    <message id="employee_left">
        <source>Your staff record is no longer active</source>
        <translation>Your staff record is no longer active</translation>
    </message>
    <message id="employee_left.next">
        <source>Please take your card. The service desk can help with any questions</source>
        <translation>Please take your card. The service desk can help with any questions</translation>
    </message>
    <message id="card_expired">
        <source>This ID card has expired</source>
        <translation>This ID card has expired</translation>
    </message>
    <message id="card_expired.next">
        <source>Please use a valid ID card, or ask at the service desk</source>
        <translation>Please use a valid ID card, or ask at the service desk</translation>
    </message>
    <message id="card_expired.not_yet_valid">
        <source>This ID card is not valid yet</source>
        <translation>This ID card is not valid yet</translation>
    </message>
    <message id="card_expired.not_yet_valid.next">
        <source>Please use a valid ID card, or ask at the service desk</source>
        <translation>Please use a valid ID card, or ask at the service desk</translation>
    </message>
    <message id="invalid_id">
        <source>This ID number is not valid</source>
        <translation>This ID number is not valid</translation>
    </message>
    <message id="invalid_id.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="invalid_id.unknown_type">
        <source>This type of card is not supported</source>
        <translation>This type of card is not supported</translation>
    </message>
    <message id="invalid_id.unknown_type.next">
        <source>Please use a resident ID card or a permanent residence card</source>
        <translation>Please use a resident ID card or a permanent residence card</translation>
    </message>
    <message id="invalid_id.unreadable">
        <source>The card could not be read</source>
        <translation>The card could not be read</translation>
    </message>
    <message id="invalid_id.unreadable.next">
        <source>Please lift the card and place it flat on the reader again</source>
        <translation>Please lift the card and place it flat on the reader again</translation>
    </message>
    <message id="card_left">
        <source>There is a card on the reader</source>
        <translation>There is a card on the reader</translation>
    </message>
    <message id="card_left.next">
        <source>If it is yours, please take it. If not, please hand it to the service desk</source>
        <translation>If it is yours, please take it. If not, please hand it to the service desk</translation>
    </message>
    <message id="card_left.at_start">
        <source>A card was left on the reader</source>
        <translation>A card was left on the reader</translation>
    </message>
    <message id="card_left.at_start.next">
        <source>Please remove it, then place your own ID card</source>
        <translation>Please remove it, then place your own ID card</translation>
    </message>
    <message id="reader_fault">
        <source>The card reader is not working</source>
        <translation>The card reader is not working</translation>
    </message>
    <message id="reader_fault.next">
        <source>Please ask at the service desk</source>
        <translation>Please ask at the service desk</translation>
    </message>
    <message id="reader_fault.unplugged">
        <source>The card reader is not connected</source>
        <translation>The card reader is not connected</translation>
    </message>
    <message id="reader_fault.unplugged.next">
        <source>Please ask at the service desk</source>
        <translation>Please ask at the service desk</translation>
    </message>
    <message id="reader_fault.sam">
        <source>The card reader's security module has failed</source>
        <translation>The card reader's security module has failed</translation>
    </message>
    <message id="reader_fault.sam.next">
        <source>Please ask at the service desk</source>
        <translation>Please ask at the service desk</translation>
    </message>
    <message id="reader_fault.silent">
        <source>The card reader does not answer</source>
        <translation>The card reader does not answer</translation>
    </message>
    <message id="reader_fault.silent.next">
        <source>Please ask at the service desk</source>
        <translation>Please ask at the service desk</translation>
    </message>
    <message id="reader_fault.other">
        <source>The card reader has a fault</source>
        <translation>The card reader has a fault</translation>
    </message>
    <message id="reader_fault.other.next">
        <source>Please ask at the service desk</source>
        <translation>Please ask at the service desk</translation>
    </message>
    <message id="sms_sending">
        <source>Sending a code to %1</source>
        <translation>Sending a code to %1</translation>
    </message>
    <message id="sms_sending.next">
        <source>The text message usually arrives within a minute</source>
        <translation>The text message usually arrives within a minute</translation>
    </message>
    <message id="code_entry">
        <source>Enter the 6-digit code</source>
        <translation>Enter the 6-digit code</translation>
    </message>
    <message id="code_entry.next">
        <source>Sent to %1, valid for 5 minutes</source>
        <translation>Sent to %1, valid for 5 minutes</translation>
    </message>
    <message id="code_entry.wrong">
        <source>That code is not correct</source>
        <translation>That code is not correct</translation>
    </message>
    <message id="code_entry.wrong.next">
        <source>Tries left: %2</source>
        <translation>Tries left: %2</translation>
    </message>
    <message id="code_entry.expired">
        <source>The code has expired</source>
        <translation>The code has expired</translation>
    </message>
    <message id="code_entry.expired.next">
        <source>Tap "Send again" for a new code</source>
        <translation>Tap "Send again" for a new code</translation>
    </message>
    <message id="code_entry.resent">
        <source>A new code was sent</source>
        <translation>A new code was sent</translation>
    </message>
    <message id="code_entry.resent.next">
        <source>Sent to %1: enter the new code</source>
        <translation>Sent to %1: enter the new code</translation>
    </message>
    <message id="code_locked">
        <source>Too many wrong codes</source>
        <translation>Too many wrong codes</translation>
    </message>
    <message id="code_locked.next">
        <source>Please try again in %1 minutes, or ask at the service desk</source>
        <translation>Please try again in %1 minutes, or ask at the service desk</translation>
    </message>
    <message id="sms_unavailable">
        <source>We cannot send a code right now</source>
        <translation>We cannot send a code right now</translation>
    </message>
    <message id="sms_unavailable.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>Please choose another way below, or ask at the service desk</translation>
    </message>
    <message id="sms_unavailable.modem_down">
        <source>The text-message device is not working</source>
        <translation>The text-message device is not working</translation>
    </message>
    <message id="sms_unavailable.modem_down.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>Please choose another way below, or ask at the service desk</translation>
    </message>
    <message id="sms_unavailable.central_down">
        <source>The text-message service cannot be reached</source>
        <translation>The text-message service cannot be reached</translation>
    </message>
    <message id="sms_unavailable.central_down.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>Please choose another way below, or ask at the service desk</translation>
    </message>
    <message id="sms_unavailable.rate_limited">
        <source>Too many codes were sent to this phone</source>
        <translation>Too many codes were sent to this phone</translation>
    </message>
    <message id="sms_unavailable.rate_limited.next">
        <source>Please try again later, or choose another way below</source>
        <translation>Please try again later, or choose another way below</translation>
    </message>
    <message id="sms_unavailable.timeout">
        <source>Sending the code took too long</source>
        <translation>Sending the code took too long</translation>
    </message>
    <message id="sms_unavailable.timeout.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>Please choose another way below, or ask at the service desk</translation>
    </message>
    <message id="sms_unavailable.hourly_limit">
        <source>The limit of codes per hour has been reached</source>
        <translation>The limit of codes per hour has been reached</translation>
    </message>
    <message id="sms_unavailable.hourly_limit.next">
        <source>Please try again in an hour, or choose another way below</source>
        <translation>Please try again in an hour, or choose another way below</translation>
    </message>
    <message id="sms_unavailable.no_phone">
        <source>No phone number is on file for you</source>
        <translation>No phone number is on file for you</translation>
    </message>
    <message id="sms_unavailable.no_phone.next">
        <source>Please choose another way below, or update your number at the service desk</source>
        <translation>Please choose another way below, or update your number at the service desk</translation>
    </message>
    <message id="sms_unavailable.other">
        <source>The code could not be sent</source>
        <translation>The code could not be sent</translation>
    </message>
    <message id="sms_unavailable.other.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>Please choose another way below, or ask at the service desk</translation>
    </message>
    <message id="face_capture">
        <source>Please look at the camera</source>
        <translation>Please look at the camera</translation>
    </message>
    <message id="face_capture.next">
        <source>Hold still and blink naturally</source>
        <translation>Hold still and blink naturally</translation>
    </message>
    <message id="face_capture.loading_photo">
        <source>Getting ready to check your face...</source>
        <translation>Getting ready to check your face...</translation>
    </message>
    <message id="face_capture.loading_photo.next">
        <source>One moment, please</source>
        <translation>One moment, please</translation>
    </message>
    <message id="face_capture.no_face">
        <source>No face was seen</source>
        <translation>No face was seen</translation>
    </message>
    <message id="face_capture.no_face.next">
        <source>Stand in front of the camera and try again.
Tries left: %1</source>
        <translation>Stand in front of the camera and try again.
Tries left: %1</translation>
    </message>
    <message id="face_capture.two_faces">
        <source>More than one face was seen</source>
        <translation>More than one face was seen</translation>
    </message>
    <message id="face_capture.two_faces.next">
        <source>Make sure only you are in view, then try again.
Tries left: %1</source>
        <translation>Make sure only you are in view, then try again.
Tries left: %1</translation>
    </message>
    <message id="face_capture.no_match">
        <source>Your face did not match your staff photo</source>
        <translation>Your face did not match your staff photo</translation>
    </message>
    <message id="face_capture.no_match.next">
        <source>Take off any hat or mask and try again.
Tries left: %1</source>
        <translation>Take off any hat or mask and try again.
Tries left: %1</translation>
    </message>
    <message id="face_capture.not_live">
        <source>We could not tell that you are here in person</source>
        <translation>We could not tell that you are here in person</translation>
    </message>
    <message id="face_capture.not_live.next">
        <source>Blink naturally and turn your head a little.
Tries left: %1</source>
        <translation>Blink naturally and turn your head a little.
Tries left: %1</translation>
    </message>
    <message id="face_capture.error">
        <source>The face check had a problem</source>
        <translation>The face check had a problem</translation>
    </message>
    <message id="face_capture.error.next">
        <source>Please try again.
Tries left: %1</source>
        <translation>Please try again.
Tries left: %1</translation>
    </message>
    <message id="face_failed">
        <source>The face check did not pass</source>
        <translation>The face check did not pass</translation>
    </message>
    <message id="face_failed.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="face_failed.photo_unavailable">
        <source>Your staff photo is not available right now</source>
        <translation>Your staff photo is not available right now</translation>
    </message>
    <message id="face_failed.photo_unavailable.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="face_failed.denied">
        <source>The face check did not pass, so we cannot go on</source>
        <translation>The face check did not pass, so we cannot go on</translation>
    </message>
    <message id="face_failed.denied.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="face_failed.camera">
        <source>The camera is not working</source>
        <translation>The camera is not working</translation>
    </message>
    <message id="face_failed.camera.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="menu">
        <source>Hello, %1. Please choose a service</source>
        <translation>Hello, %1. Please choose a service</translation>
    </message>
    <message id="menu.unavailable">
        <source>That service is not available now. Please choose another</source>
        <translation>That service is not available now. Please choose another</translation>
    </message>
    <message id="my_records">
        <source>My records</source>
        <translation>My records</translation>
    </message>
    <message id="idle_warning">
        <source>Are you still there?</source>
        <translation>Are you still there?</translation>
    </message>
    <message id="idle_warning.next">
        <source>You will be signed out in %1 seconds. Touch the screen to continue</source>
        <translation>You will be signed out in %1 seconds. Touch the screen to continue</translation>
    </message>
    <message id="technician_pin">
        <source>Technician sign-in</source>
        <translation>Technician sign-in</translation>
    </message>
    <message id="technician_pin.next">
        <source>Enter the technician PIN</source>
        <translation>Enter the technician PIN</translation>
    </message>
    <message id="technician_pin.wrong">
        <source>Wrong PIN</source>
        <translation>Wrong PIN</translation>
    </message>
    <message id="technician_pin.wrong.next">
        <source>Tries left: %2</source>
        <translation>Tries left: %2</translation>
    </message>
    <message id="technician_pin.locked">
        <source>Locked for now</source>
        <translation>Locked for now</translation>
    </message>
    <message id="technician_pin.locked.next">
        <source>Too many tries. Please try again later</source>
        <translation>Too many tries. Please try again later</translation>
    </message>
    <message id="technician">
        <source>Device status</source>
        <translation>Device status</translation>
    </message>
    <message id="technician.selftest_running">
        <source>Running the self-test...</source>
        <translation>Running the self-test...</translation>
    </message>
    <message id="goodbye">
        <source>Thank you, goodbye!</source>
        <translation>Thank you, goodbye!</translation>
    </message>
    <message id="goodbye.next">
        <source>Please remember to take your ID card</source>
        <translation>Please remember to take your ID card</translation>
    </message>
    <message id="goodbye.service_desk">
        <source>Please go to the service desk</source>
        <translation>Please go to the service desk</translation>
    </message>
    <message id="goodbye.service_desk.next">
        <source>Please remember to take your ID card</source>
        <translation>Please remember to take your ID card</translation>
    </message>
    <message id="goodbye.denied">
        <source>We could not verify who you are</source>
        <translation>We could not verify who you are</translation>
    </message>
    <message id="goodbye.denied.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>Please take your card and ask at the service desk</translation>
    </message>
    <message id="service.my_records">
        <source>My records</source>
        <translation>My records</translation>
    </message>
    <message id="fallback.face_only">
        <source>Use a face check</source>
        <translation>Use a face check</translation>
    </message>
    <message id="fallback.service_desk">
        <source>Go to the service desk</source>
        <translation>Go to the service desk</translation>
    </message>
    <message id="record.kind.verification">
        <source>Identity check</source>
        <translation>Identity check</translation>
    </message>
    <message id="record.status.verified">
        <source>Passed</source>
        <translation>Passed</translation>
    </message>
    <message id="record.status.failed">
        <source>Not passed</source>
        <translation>Not passed</translation>
    </message>
    <message id="record.kind.certificate">
        <source>Certificate</source>
        <translation>Certificate</translation>
    </message>
    <message id="record.status.printed">
        <source>Printed</source>
        <translation>Printed</translation>
    </message>
    <message id="record.kind.badge">
        <source>Staff badge</source>
        <translation>Staff badge</translation>
    </message>
    <message id="record.kind.payment">
        <source>Payment</source>
        <translation>Payment</translation>
    </message>
    <message id="record.status.paid">
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message id="record.status.refunded">
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
    <message id="ui.header">
        <source>HR self-service</source>
        <translation>HR self-service</translation>
    </message>
    <message id="ui.lang.zh">
        <source>简体中文</source>
        <translation>简体中文</translation>
    </message>
    <message id="ui.lang.en">
        <source>English</source>
        <translation>English</translation>
    </message>
    <message id="ui.key.back">
        <source>Delete</source>
        <translation>Delete</translation>
    </message>
    <message id="ui.key.ok">
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message id="ui.back">
        <source>Back</source>
        <translation>Back</translation>
    </message>
    <message id="ui.back_to_start">
        <source>Back to start</source>
        <translation>Back to start</translation>
    </message>
    <message id="ui.cancel">
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message id="ui.finish">
        <source>Finish</source>
        <translation>Finish</translation>
    </message>
    <message id="ui.try_again">
        <source>Try again</source>
        <translation>Try again</translation>
    </message>
    <message id="ui.continue">
        <source>Continue</source>
        <translation>Continue</translation>
    </message>
    <message id="ui.resend">
        <source>Send again</source>
        <translation>Send again</translation>
    </message>
    <message id="ui.resend_in">
        <source>Send again in %1 s</source>
        <translation>Send again in %1 s</translation>
    </message>
    <message id="ui.selftest">
        <source>Run self-test</source>
        <translation>Run self-test</translation>
    </message>
    <message id="ui.records.none">
        <source>No records yet</source>
        <translation>No records yet</translation>
    </message>
    <message id="ui.records.local_only">
        <source>Central's records are not available now: showing this kiosk's only</source>
        <translation>Central's records are not available now: showing this kiosk's only</translation>
    </message>
    <message id="preparing">
        <source>One moment...</source>
        <translation>One moment...</translation>
    </message>
    <message id="preparing.next">
        <source>Working on it; please stay here</source>
        <translation>Working on it; please stay here</translation>
    </message>
    <message id="preparing.certificate">
        <source>Preparing your certificate...</source>
        <translation>Preparing your certificate...</translation>
    </message>
    <message id="preparing.certificate.next">
        <source>Fetching your data from head office and drawing the certificate</source>
        <translation>Fetching your data from head office and drawing the certificate</translation>
    </message>
    <message id="preparing.order">
        <source>Placing your badge order...</source>
        <translation>Placing your badge order...</translation>
    </message>
    <message id="preparing.order.next">
        <source>Asking head office for your badge</source>
        <translation>Asking head office for your badge</translation>
    </message>
    <message id="preparing.badge">
        <source>Making your badge...</source>
        <translation>Making your badge...</translation>
    </message>
    <message id="preparing.badge.next">
        <source>Preparing the photo and the card</source>
        <translation>Preparing the photo and the card</translation>
    </message>
    <message id="preparing.cancel">
        <source>Cancelling the order...</source>
        <translation>Cancelling the order...</translation>
    </message>
    <message id="preparing.cancel.next">
        <source>If you have already paid, your badge is still made</source>
        <translation>If you have already paid, your badge is still made</translation>
    </message>
    <message id="cert_preview">
        <source>Please check your certificate</source>
        <translation>Please check your certificate</translation>
    </message>
    <message id="cert_preview.next">
        <source>Serial %1. Tap "Print" when it is right</source>
        <translation>Serial %1. Tap "Print" when it is right</translation>
    </message>
    <message id="badge_preview">
        <source>Please check your badge</source>
        <translation>Please check your badge</translation>
    </message>
    <message id="badge_preview.next">
        <source>Order %1 is paid. Tap "Print" to make the card</source>
        <translation>Order %1 is paid. Tap "Print" to make the card</translation>
    </message>
    <message id="badge_reason">
        <source>Why do you need a new badge?</source>
        <translation>Why do you need a new badge?</translation>
    </message>
    <message id="badge_reason.next">
        <source>A replacement has a fee: choose, then pay with WeChat</source>
        <translation>A replacement has a fee: choose, then pay with WeChat</translation>
    </message>
    <message id="payment">
        <source>Scan with WeChat to pay</source>
        <translation>Scan with WeChat to pay</translation>
    </message>
    <message id="payment.next">
        <source>The kiosk goes on by itself once you have paid. Time left %1</source>
        <translation>The kiosk goes on by itself once you have paid. Time left %1</translation>
    </message>
    <message id="printing">
        <source>Printing...</source>
        <translation>Printing...</translation>
    </message>
    <message id="printing.next">
        <source>Take it from the printer tray when it is done</source>
        <translation>Take it from the printer tray when it is done</translation>
    </message>
    <message id="printing.out_of_paper">
        <source>The printer is out of paper</source>
        <translation>The printer is out of paper</translation>
    </message>
    <message id="printing.out_of_paper.next">
        <source>Printing goes on once paper is loaded; please wait</source>
        <translation>Printing goes on once paper is loaded; please wait</translation>
    </message>
    <message id="printing.jam">
        <source>The printer has a paper jam</source>
        <translation>The printer has a paper jam</translation>
    </message>
    <message id="printing.jam.next">
        <source>Please wait for a member of staff</source>
        <translation>Please wait for a member of staff</translation>
    </message>
    <message id="printing.cover_open">
        <source>The printer cover is open</source>
        <translation>The printer cover is open</translation>
    </message>
    <message id="printing.cover_open.next">
        <source>Printing goes on once the cover is closed</source>
        <translation>Printing goes on once the cover is closed</translation>
    </message>
    <message id="print_failed">
        <source>The print did not finish</source>
        <translation>The print did not finish</translation>
    </message>
    <message id="print_failed.next">
        <source>You can print again: same number, no second charge</source>
        <translation>You can print again: same number, no second charge</translation>
    </message>
    <message id="print_failed.out_of_paper">
        <source>The printer ran out of paper</source>
        <translation>The printer ran out of paper</translation>
    </message>
    <message id="print_failed.out_of_paper.next">
        <source>Once paper is loaded, print again: same number, no second charge</source>
        <translation>Once paper is loaded, print again: same number, no second charge</translation>
    </message>
    <message id="print_failed.jam">
        <source>The printer jammed</source>
        <translation>The printer jammed</translation>
    </message>
    <message id="print_failed.jam.next">
        <source>Once the jam is cleared, print again: same number, no second charge</source>
        <translation>Once the jam is cleared, print again: same number, no second charge</translation>
    </message>
    <message id="print_failed.cover_open">
        <source>The printer cover was open</source>
        <translation>The printer cover was open</translation>
    </message>
    <message id="print_failed.cover_open.next">
        <source>Close the cover, then print again: same number, no second charge</source>
        <translation>Close the cover, then print again: same number, no second charge</translation>
    </message>
    <message id="print_failed.offline">
        <source>The printer cannot be reached</source>
        <translation>The printer cannot be reached</translation>
    </message>
    <message id="print_failed.offline.next">
        <source>Print again in a moment, or ask at the service desk</source>
        <translation>Print again in a moment, or ask at the service desk</translation>
    </message>
    <message id="print_failed.timeout">
        <source>The printer took too long</source>
        <translation>The printer took too long</translation>
    </message>
    <message id="print_failed.timeout.next">
        <source>Check the printer, then print again: same number, no second charge</source>
        <translation>Check the printer, then print again: same number, no second charge</translation>
    </message>
    <message id="print_failed.other">
        <source>The printer reported a problem</source>
        <translation>The printer reported a problem</translation>
    </message>
    <message id="print_failed.other.next">
        <source>Print again, or ask at the service desk</source>
        <translation>Print again, or ask at the service desk</translation>
    </message>
    <message id="service_failed">
        <source>This service is not available now</source>
        <translation>This service is not available now</translation>
    </message>
    <message id="service_failed.next">
        <source>Please try again later, or ask at the service desk</source>
        <translation>Please try again later, or ask at the service desk</translation>
    </message>
    <message id="service_failed.offline">
        <source>Head office cannot be reached</source>
        <translation>Head office cannot be reached</translation>
    </message>
    <message id="service_failed.offline.next">
        <source>Certificates and badges need head office; please try again later</source>
        <translation>Certificates and badges need head office; please try again later</translation>
    </message>
    <message id="service_failed.busy">
        <source>Head office is busy</source>
        <translation>Head office is busy</translation>
    </message>
    <message id="service_failed.busy.next">
        <source>Please try again in a few minutes</source>
        <translation>Please try again in a few minutes</translation>
    </message>
    <message id="service_failed.no_data">
        <source>Head office holds no data for this</source>
        <translation>Head office holds no data for this</translation>
    </message>
    <message id="service_failed.no_data.next">
        <source>Please ask at the HR service desk</source>
        <translation>Please ask at the HR service desk</translation>
    </message>
    <message id="service_failed.not_enrolled">
        <source>This kiosk is not connected to head office</source>
        <translation>This kiosk is not connected to head office</translation>
    </message>
    <message id="service_failed.not_enrolled.next">
        <source>Please tell a technician</source>
        <translation>Please tell a technician</translation>
    </message>
    <message id="service_failed.refused">
        <source>A badge cannot be ordered for you now</source>
        <translation>A badge cannot be ordered for you now</translation>
    </message>
    <message id="service_failed.refused.next">
        <source>Please ask at the HR service desk</source>
        <translation>Please ask at the HR service desk</translation>
    </message>
    <message id="service_failed.limit">
        <source>You have used this year's replacements</source>
        <translation>You have used this year's replacements</translation>
    </message>
    <message id="service_failed.limit.next">
        <source>Please ask at the HR service desk</source>
        <translation>Please ask at the HR service desk</translation>
    </message>
    <message id="service_failed.payment_timed_out">
        <source>The payment timed out; the order is cancelled</source>
        <translation>The payment timed out; the order is cancelled</translation>
    </message>
    <message id="service_failed.payment_timed_out.next">
        <source>Nothing was charged. You can start again</source>
        <translation>Nothing was charged. You can start again</translation>
    </message>
    <message id="service_failed.payment_cancelled">
        <source>The order is cancelled</source>
        <translation>The order is cancelled</translation>
    </message>
    <message id="service_failed.payment_cancelled.next">
        <source>Nothing was charged</source>
        <translation>Nothing was charged</translation>
    </message>
    <message id="service_failed.error">
        <source>Something went wrong</source>
        <translation>Something went wrong</translation>
    </message>
    <message id="service_failed.error.next">
        <source>Please try again, or ask at the service desk</source>
        <translation>Please try again, or ask at the service desk</translation>
    </message>
    <message id="refund_requested">
        <source>A refund of %1 was requested</source>
        <translation>A refund of %1 was requested</translation>
    </message>
    <message id="refund_requested.next">
        <source>Your badge could not be made. The money goes back to your WeChat account, usually within 1 to 3 working days; you need do nothing</source>
        <translation>Your badge could not be made. The money goes back to your WeChat account, usually within 1 to 3 working days; you need do nothing</translation>
    </message>
    <message id="rating">
        <source>Please take your certificate</source>
        <translation>Please take your certificate</translation>
    </message>
    <message id="rating.next">
        <source>Serial %1. How was this service?</source>
        <translation>Serial %1. How was this service?</translation>
    </message>
    <message id="rating.badge">
        <source>Please take your badge</source>
        <translation>Please take your badge</translation>
    </message>
    <message id="rating.badge.next">
        <source>Your old badge no longer opens doors. How was this service?</source>
        <translation>Your old badge no longer opens doors. How was this service?</translation>
    </message>
    <message id="rating.thanks">
        <source>Thank you for your rating</source>
        <translation>Thank you for your rating</translation>
    </message>
    <message id="rating.thanks.next">
        <source>Is there anything else?</source>
        <translation>Is there anything else?</translation>
    </message>
    <message id="not_provisioned">
        <source>This kiosk is not set up yet</source>
        <translation>This kiosk is not set up yet</translation>
    </message>
    <message id="not_provisioned.next">
        <source>Technician: read terminal-provision-result.txt on the SD card</source>
        <translation>Technician: read terminal-provision-result.txt on the SD card</translation>
    </message>
    <message id="service.cert_employment">
        <source>Employment certificate</source>
        <translation>Employment certificate</translation>
    </message>
    <message id="service.cert_income">
        <source>Income certificate</source>
        <translation>Income certificate</translation>
    </message>
    <message id="service.cert_social_insurance">
        <source>Social insurance certificate</source>
        <translation>Social insurance certificate</translation>
    </message>
    <message id="service.badge_first">
        <source>First staff badge</source>
        <translation>First staff badge</translation>
    </message>
    <message id="service.badge_replacement">
        <source>Replacement badge</source>
        <translation>Replacement badge</translation>
    </message>
    <message id="service.checking">
        <source>Checking...</source>
        <translation>Checking...</translation>
    </message>
    <message id="service.offline">
        <source>Head office unreachable</source>
        <translation>Head office unreachable</translation>
    </message>
    <message id="service.not_enrolled">
        <source>Kiosk not connected</source>
        <translation>Kiosk not connected</translation>
    </message>
    <message id="service.no_template">
        <source>Template not synced yet</source>
        <translation>Template not synced yet</translation>
    </message>
    <message id="service.no_printer">
        <source>Printer not available</source>
        <translation>Printer not available</translation>
    </message>
    <message id="service.busy">
        <source>Head office busy</source>
        <translation>Head office busy</translation>
    </message>
    <message id="service.limit">
        <source>Yearly limit reached</source>
        <translation>Yearly limit reached</translation>
    </message>
    <message id="service.not_allowed">
        <source>Not available to you</source>
        <translation>Not available to you</translation>
    </message>
    <message id="service.open_order">
        <source>An order is still open</source>
        <translation>An order is still open</translation>
    </message>
    <message id="ui.print">
        <source>Print</source>
        <translation>Print</translation>
    </message>
    <message id="ui.print_again">
        <source>Print again</source>
        <translation>Print again</translation>
    </message>
    <message id="ui.back_to_menu">
        <source>Back to menu</source>
        <translation>Back to menu</translation>
    </message>
    <message id="ui.badge_lost">
        <source>Lost %1</source>
        <translation>Lost %1</translation>
    </message>
    <message id="ui.badge_damaged">
        <source>Damaged %1</source>
        <translation>Damaged %1</translation>
    </message>
    <message id="ui.order_number">
        <source>Order %1</source>
        <translation>Order %1</translation>
    </message>
    <message id="ui.cancel_payment">
        <source>Cancel order</source>
        <translation>Cancel order</translation>
    </message>
    <message id="ui.rate_satisfied">
        <source>Satisfied</source>
        <translation>Satisfied</translation>
    </message>
    <message id="ui.rate_neutral">
        <source>Neutral</source>
        <translation>Neutral</translation>
    </message>
    <message id="ui.rate_unsatisfied">
        <source>Not satisfied</source>
        <translation>Not satisfied</translation>
    </message>
    <message id="ui.done">
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message id="ui.leave_refund">
        <source>Leave without it (refund)</source>
        <translation>Leave without it (refund)</translation>
    </message>
    <message id="record.kind.kiosk.verified">
        <source>Identity check</source>
        <translation>Identity check</translation>
    </message>
    <message id="record.kind.kiosk.verification_failed">
        <source>Identity check</source>
        <translation>Identity check</translation>
    </message>
    <message id="record.kind.kiosk.locked">
        <source>Code lock-out</source>
        <translation>Code lock-out</translation>
    </message>
    <message id="record.kind.certificate.issued">
        <source>Certificate issued</source>
        <translation>Certificate issued</translation>
    </message>
    <message id="record.kind.certificate.printed">
        <source>Certificate printed</source>
        <translation>Certificate printed</translation>
    </message>
    <message id="record.kind.badge.printed">
        <source>Badge made</source>
        <translation>Badge made</translation>
    </message>
    <message id="record.kind.payment.order_created">
        <source>Badge order</source>
        <translation>Badge order</translation>
    </message>
    <message id="record.kind.payment.paid">
        <source>Badge payment</source>
        <translation>Badge payment</translation>
    </message>
    <message id="record.kind.payment.cancelled">
        <source>Badge order</source>
        <translation>Badge order</translation>
    </message>
    <message id="record.kind.payment.refund_requested">
        <source>Badge refund</source>
        <translation>Badge refund</translation>
    </message>
    <message id="record.status.issued">
        <source>Issued</source>
        <translation>Issued</translation>
    </message>
    <message id="record.status.created">
        <source>Ordered</source>
        <translation>Ordered</translation>
    </message>
    <message id="record.status.cancelled">
        <source>Cancelled</source>
        <translation>Cancelled</translation>
    </message>
    <message id="record.status.timed_out">
        <source>Timed out</source>
        <translation>Timed out</translation>
    </message>
    <message id="record.status.abandoned">
        <source>Closed</source>
        <translation>Closed</translation>
    </message>
    <message id="record.status.refund_requested">
        <source>Refund requested</source>
        <translation>Refund requested</translation>
    </message>
    <message id="record.status.locked">
        <source>Locked</source>
        <translation>Locked</translation>
    </message>
</context>
</TS>
