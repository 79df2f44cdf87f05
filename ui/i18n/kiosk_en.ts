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
        <source>Reading your ID card…</source>
        <translation>Reading your ID card…</translation>
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
        <source>Getting ready to check your face…</source>
        <translation>Getting ready to check your face…</translation>
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
        <source>Running the self-test…</source>
        <translation>Running the self-test…</translation>
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
    <message id="service.certificate">
        <source>Certificates</source>
        <translation>Certificates</translation>
    </message>
    <message id="service.badge">
        <source>Staff badge</source>
        <translation>Staff badge</translation>
    </message>
    <message id="service.payment">
        <source>Payments</source>
        <translation>Payments</translation>
    </message>
    <message id="service.my_records">
        <source>My records</source>
        <translation>My records</translation>
    </message>
    <message id="service.coming_soon">
        <source>Coming soon</source>
        <translation>Coming soon</translation>
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
</context>
</TS>
