<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message id="attract">
        <source>Place your ID card on the reader</source>
        <translation>请将身份证放在读卡区</translation>
    </message>
    <message id="attract.next">
        <source>Then follow the steps on the screen</source>
        <translation>放好后请按屏幕提示操作</translation>
    </message>
    <message id="reading">
        <source>Reading your ID card…</source>
        <translation>正在读取身份证…</translation>
    </message>
    <message id="reading.next">
        <source>Please keep the card still</source>
        <translation>请不要移动卡片</translation>
    </message>
    <message id="unknown_person">
        <source>We could not find you in the staff directory</source>
        <translation>未找到您的员工信息</translation>
    </message>
    <message id="unknown_person.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回身份证，到服务台办理</translation>
    </message>
    <message id="unknown_person.directory_missing">
        <source>The staff directory is not available yet</source>
        <translation>员工名录尚未同步</translation>
    </message>
    <message id="unknown_person.directory_missing.next">
        <source>Please take your card and try again later, or ask at the service desk</source>
        <translation>请取回身份证，稍后再试或到服务台办理</translation>
    </message>
    <message id="employee_left">
        <source>Your staff record is no longer active</source>
        <translation>您的员工档案已停用</translation>
    </message>
    <message id="employee_left.next">
        <source>Please take your card. The service desk can help with any questions</source>
        <translation>请取回身份证。如有疑问，请到服务台咨询</translation>
    </message>
    <message id="card_expired">
        <source>This ID card has expired</source>
        <translation>身份证已过有效期</translation>
    </message>
    <message id="card_expired.next">
        <source>Please use a valid ID card, or ask at the service desk</source>
        <translation>请使用有效证件，或到服务台办理</translation>
    </message>
    <message id="card_expired.not_yet_valid">
        <source>This ID card is not valid yet</source>
        <translation>身份证尚未生效</translation>
    </message>
    <message id="card_expired.not_yet_valid.next">
        <source>Please use a valid ID card, or ask at the service desk</source>
        <translation>请使用有效证件，或到服务台办理</translation>
    </message>
    <message id="invalid_id">
        <source>This ID number is not valid</source>
        <translation>证件号码无效</translation>
    </message>
    <message id="invalid_id.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回证件，到服务台办理</translation>
    </message>
    <message id="invalid_id.unknown_type">
        <source>This type of card is not supported</source>
        <translation>不支持此类证件</translation>
    </message>
    <message id="invalid_id.unknown_type.next">
        <source>Please use a resident ID card or a permanent residence card</source>
        <translation>请使用居民身份证或外国人永久居留身份证</translation>
    </message>
    <message id="invalid_id.unreadable">
        <source>The card could not be read</source>
        <translation>无法读取卡片</translation>
    </message>
    <message id="invalid_id.unreadable.next">
        <source>Please lift the card and place it flat on the reader again</source>
        <translation>请取下卡片，重新平放在读卡区</translation>
    </message>
    <message id="card_left">
        <source>There is a card on the reader</source>
        <translation>读卡区上有一张身份证</translation>
    </message>
    <message id="card_left.next">
        <source>If it is yours, please take it. If not, please hand it to the service desk</source>
        <translation>如果是您的，请取走；如果不是，请交给服务台</translation>
    </message>
    <message id="card_left.at_start">
        <source>A card was left on the reader</source>
        <translation>读卡区上留有一张身份证</translation>
    </message>
    <message id="card_left.at_start.next">
        <source>Please remove it, then place your own ID card</source>
        <translation>请取走这张卡，再放上您自己的身份证</translation>
    </message>
    <message id="reader_fault">
        <source>The card reader is not working</source>
        <translation>读卡器暂时无法使用</translation>
    </message>
    <message id="reader_fault.next">
        <source>Please ask at the service desk</source>
        <translation>请到服务台办理</translation>
    </message>
    <message id="reader_fault.unplugged">
        <source>The card reader is not connected</source>
        <translation>读卡器未连接</translation>
    </message>
    <message id="reader_fault.unplugged.next">
        <source>Please ask at the service desk</source>
        <translation>请到服务台办理</translation>
    </message>
    <message id="reader_fault.sam">
        <source>The card reader's security module has failed</source>
        <translation>读卡器安全模块故障</translation>
    </message>
    <message id="reader_fault.sam.next">
        <source>Please ask at the service desk</source>
        <translation>请到服务台办理</translation>
    </message>
    <message id="reader_fault.silent">
        <source>The card reader does not answer</source>
        <translation>读卡器没有响应</translation>
    </message>
    <message id="reader_fault.silent.next">
        <source>Please ask at the service desk</source>
        <translation>请到服务台办理</translation>
    </message>
    <message id="reader_fault.other">
        <source>The card reader has a fault</source>
        <translation>读卡器出现故障</translation>
    </message>
    <message id="reader_fault.other.next">
        <source>Please ask at the service desk</source>
        <translation>请到服务台办理</translation>
    </message>
    <message id="sms_sending">
        <source>Sending a code to %1</source>
        <translation>正在发送验证码到 %1</translation>
    </message>
    <message id="sms_sending.next">
        <source>The text message usually arrives within a minute</source>
        <translation>短信通常在一分钟内到达</translation>
    </message>
    <message id="code_entry">
        <source>Enter the 6-digit code</source>
        <translation>请输入 6 位短信验证码</translation>
    </message>
    <message id="code_entry.next">
        <source>Sent to %1, valid for 5 minutes</source>
        <translation>已发送到 %1，5 分钟内有效</translation>
    </message>
    <message id="code_entry.wrong">
        <source>That code is not correct</source>
        <translation>验证码不正确</translation>
    </message>
    <message id="code_entry.wrong.next">
        <source>Tries left: %2</source>
        <translation>还可以再试 %2 次</translation>
    </message>
    <message id="code_entry.expired">
        <source>The code has expired</source>
        <translation>验证码已过期</translation>
    </message>
    <message id="code_entry.expired.next">
        <source>Tap "Send again" for a new code</source>
        <translation>请点击“重新发送”获取新验证码</translation>
    </message>
    <message id="code_entry.resent">
        <source>A new code was sent</source>
        <translation>新的验证码已发送</translation>
    </message>
    <message id="code_entry.resent.next">
        <source>Sent to %1: enter the new code</source>
        <translation>已发送到 %1，请输入新的验证码</translation>
    </message>
    <message id="code_locked">
        <source>Too many wrong codes</source>
        <translation>验证码错误次数过多</translation>
    </message>
    <message id="code_locked.next">
        <source>Please try again in %1 minutes, or ask at the service desk</source>
        <translation>请 %1 分钟后再试，或到服务台办理</translation>
    </message>
    <message id="sms_unavailable">
        <source>We cannot send a code right now</source>
        <translation>暂时无法发送验证码</translation>
    </message>
    <message id="sms_unavailable.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>请选择下面的其他方式，或到服务台办理</translation>
    </message>
    <message id="sms_unavailable.modem_down">
        <source>The text-message device is not working</source>
        <translation>短信设备暂时无法使用</translation>
    </message>
    <message id="sms_unavailable.modem_down.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>请选择下面的其他方式，或到服务台办理</translation>
    </message>
    <message id="sms_unavailable.central_down">
        <source>The text-message service cannot be reached</source>
        <translation>短信服务暂时无法连接</translation>
    </message>
    <message id="sms_unavailable.central_down.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>请选择下面的其他方式，或到服务台办理</translation>
    </message>
    <message id="sms_unavailable.rate_limited">
        <source>Too many codes were sent to this phone</source>
        <translation>短信发送过于频繁</translation>
    </message>
    <message id="sms_unavailable.rate_limited.next">
        <source>Please try again later, or choose another way below</source>
        <translation>请稍后再试，或选择下面的其他方式</translation>
    </message>
    <message id="sms_unavailable.timeout">
        <source>Sending the code took too long</source>
        <translation>发送验证码超时</translation>
    </message>
    <message id="sms_unavailable.timeout.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>请选择下面的其他方式，或到服务台办理</translation>
    </message>
    <message id="sms_unavailable.hourly_limit">
        <source>The limit of codes per hour has been reached</source>
        <translation>一小时内发送次数已达上限</translation>
    </message>
    <message id="sms_unavailable.hourly_limit.next">
        <source>Please try again in an hour, or choose another way below</source>
        <translation>请一小时后再试，或选择下面的其他方式</translation>
    </message>
    <message id="sms_unavailable.no_phone">
        <source>No phone number is on file for you</source>
        <translation>没有登记您的手机号码</translation>
    </message>
    <message id="sms_unavailable.no_phone.next">
        <source>Please choose another way below, or update your number at the service desk</source>
        <translation>请选择下面的其他方式，或到服务台更新号码</translation>
    </message>
    <message id="sms_unavailable.other">
        <source>The code could not be sent</source>
        <translation>验证码未能发送</translation>
    </message>
    <message id="sms_unavailable.other.next">
        <source>Please choose another way below, or ask at the service desk</source>
        <translation>请选择下面的其他方式，或到服务台办理</translation>
    </message>
    <message id="face_capture">
        <source>Please look at the camera</source>
        <translation>请正视摄像头</translation>
    </message>
    <message id="face_capture.next">
        <source>Hold still and blink naturally</source>
        <translation>请保持不动，自然眨眼</translation>
    </message>
    <message id="face_capture.loading_photo">
        <source>Getting ready to check your face…</source>
        <translation>正在准备人脸核验…</translation>
    </message>
    <message id="face_capture.loading_photo.next">
        <source>One moment, please</source>
        <translation>请稍候</translation>
    </message>
    <message id="face_capture.no_face">
        <source>No face was seen</source>
        <translation>没有看到人脸</translation>
    </message>
    <message id="face_capture.no_face.next">
        <source>Stand in front of the camera and try again.
Tries left: %1</source>
        <translation>请站在摄像头正前方，再试一次。
还可尝试 %1 次</translation>
    </message>
    <message id="face_capture.two_faces">
        <source>More than one face was seen</source>
        <translation>画面中有多张人脸</translation>
    </message>
    <message id="face_capture.two_faces.next">
        <source>Make sure only you are in view, then try again.
Tries left: %1</source>
        <translation>请确保画面中只有您一人，再试一次。
还可尝试 %1 次</translation>
    </message>
    <message id="face_capture.no_match">
        <source>Your face did not match your staff photo</source>
        <translation>人脸与档案照片不一致</translation>
    </message>
    <message id="face_capture.no_match.next">
        <source>Take off any hat or mask and try again.
Tries left: %1</source>
        <translation>请摘下帽子或口罩，再试一次。
还可尝试 %1 次</translation>
    </message>
    <message id="face_capture.not_live">
        <source>We could not tell that you are here in person</source>
        <translation>未能确认是本人在场</translation>
    </message>
    <message id="face_capture.not_live.next">
        <source>Blink naturally and turn your head a little.
Tries left: %1</source>
        <translation>请自然眨眼，并稍微转动头部。
还可尝试 %1 次</translation>
    </message>
    <message id="face_capture.error">
        <source>The face check had a problem</source>
        <translation>人脸核验出错</translation>
    </message>
    <message id="face_capture.error.next">
        <source>Please try again.
Tries left: %1</source>
        <translation>请再试一次。
还可尝试 %1 次</translation>
    </message>
    <message id="face_failed">
        <source>The face check did not pass</source>
        <translation>人脸核验未通过</translation>
    </message>
    <message id="face_failed.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回身份证，到服务台办理</translation>
    </message>
    <message id="face_failed.photo_unavailable">
        <source>Your staff photo is not available right now</source>
        <translation>暂时无法获取您的档案照片</translation>
    </message>
    <message id="face_failed.photo_unavailable.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回身份证，到服务台办理</translation>
    </message>
    <message id="face_failed.denied">
        <source>The face check did not pass, so we cannot go on</source>
        <translation>人脸核验未通过，无法继续</translation>
    </message>
    <message id="face_failed.denied.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回身份证，到服务台办理</translation>
    </message>
    <message id="face_failed.camera">
        <source>The camera is not working</source>
        <translation>摄像头暂时无法使用</translation>
    </message>
    <message id="face_failed.camera.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回身份证，到服务台办理</translation>
    </message>
    <message id="menu">
        <source>Hello, %1. Please choose a service</source>
        <translation>%1，您好！请选择服务</translation>
    </message>
    <message id="menu.unavailable">
        <source>That service is not available now. Please choose another</source>
        <translation>该服务暂不可用，请选择其他服务</translation>
    </message>
    <message id="my_records">
        <source>My records</source>
        <translation>我的记录</translation>
    </message>
    <message id="idle_warning">
        <source>Are you still there?</source>
        <translation>您还在吗？</translation>
    </message>
    <message id="idle_warning.next">
        <source>You will be signed out in %1 seconds. Touch the screen to continue</source>
        <translation>%1 秒后将自动退出，触摸屏幕即可继续</translation>
    </message>
    <message id="technician_pin">
        <source>Technician sign-in</source>
        <translation>维护人员登录</translation>
    </message>
    <message id="technician_pin.next">
        <source>Enter the technician PIN</source>
        <translation>请输入维护密码</translation>
    </message>
    <message id="technician_pin.wrong">
        <source>Wrong PIN</source>
        <translation>密码不正确</translation>
    </message>
    <message id="technician_pin.wrong.next">
        <source>Tries left: %2</source>
        <translation>还可以再试 %2 次</translation>
    </message>
    <message id="technician_pin.locked">
        <source>Locked for now</source>
        <translation>已暂时锁定</translation>
    </message>
    <message id="technician_pin.locked.next">
        <source>Too many tries. Please try again later</source>
        <translation>尝试次数过多，请稍后再试</translation>
    </message>
    <message id="technician">
        <source>Device status</source>
        <translation>设备状态</translation>
    </message>
    <message id="technician.selftest_running">
        <source>Running the self-test…</source>
        <translation>正在自检…</translation>
    </message>
    <message id="goodbye">
        <source>Thank you, goodbye!</source>
        <translation>谢谢，再见！</translation>
    </message>
    <message id="goodbye.next">
        <source>Please remember to take your ID card</source>
        <translation>请记得取回您的身份证</translation>
    </message>
    <message id="goodbye.service_desk">
        <source>Please go to the service desk</source>
        <translation>请到服务台办理</translation>
    </message>
    <message id="goodbye.service_desk.next">
        <source>Please remember to take your ID card</source>
        <translation>请记得取回您的身份证</translation>
    </message>
    <message id="goodbye.denied">
        <source>We could not verify who you are</source>
        <translation>未能完成身份核验</translation>
    </message>
    <message id="goodbye.denied.next">
        <source>Please take your card and ask at the service desk</source>
        <translation>请取回身份证，到服务台办理</translation>
    </message>
    <message id="service.certificate">
        <source>Certificates</source>
        <translation>开具证明</translation>
    </message>
    <message id="service.badge">
        <source>Staff badge</source>
        <translation>补办工牌</translation>
    </message>
    <message id="service.payment">
        <source>Payments</source>
        <translation>缴费</translation>
    </message>
    <message id="service.my_records">
        <source>My records</source>
        <translation>我的记录</translation>
    </message>
    <message id="service.coming_soon">
        <source>Coming soon</source>
        <translation>即将开放</translation>
    </message>
    <message id="fallback.face_only">
        <source>Use a face check</source>
        <translation>改用人脸核验</translation>
    </message>
    <message id="fallback.service_desk">
        <source>Go to the service desk</source>
        <translation>到服务台办理</translation>
    </message>
    <message id="record.kind.verification">
        <source>Identity check</source>
        <translation>身份核验</translation>
    </message>
    <message id="record.status.verified">
        <source>Passed</source>
        <translation>已通过</translation>
    </message>
    <message id="record.status.failed">
        <source>Not passed</source>
        <translation>未通过</translation>
    </message>
    <message id="record.kind.certificate">
        <source>Certificate</source>
        <translation>开具证明</translation>
    </message>
    <message id="record.status.printed">
        <source>Printed</source>
        <translation>已打印</translation>
    </message>
    <message id="record.kind.badge">
        <source>Staff badge</source>
        <translation>补办工牌</translation>
    </message>
    <message id="record.kind.payment">
        <source>Payment</source>
        <translation>缴费</translation>
    </message>
    <message id="record.status.paid">
        <source>Paid</source>
        <translation>已支付</translation>
    </message>
    <message id="record.status.refunded">
        <source>Refunded</source>
        <translation>已退款</translation>
    </message>
    <message id="ui.header">
        <source>HR self-service</source>
        <translation>人事自助服务</translation>
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
        <translation>删除</translation>
    </message>
    <message id="ui.key.ok">
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message id="ui.back">
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message id="ui.back_to_start">
        <source>Back to start</source>
        <translation>返回首页</translation>
    </message>
    <message id="ui.cancel">
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message id="ui.finish">
        <source>Finish</source>
        <translation>结束</translation>
    </message>
    <message id="ui.try_again">
        <source>Try again</source>
        <translation>再试一次</translation>
    </message>
    <message id="ui.continue">
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message id="ui.resend">
        <source>Send again</source>
        <translation>重新发送</translation>
    </message>
    <message id="ui.resend_in">
        <source>Send again in %1 s</source>
        <translation>%1 秒后可重发</translation>
    </message>
    <message id="ui.selftest">
        <source>Run self-test</source>
        <translation>运行自检</translation>
    </message>
    <message id="ui.records.none">
        <source>No records yet</source>
        <translation>暂无记录</translation>
    </message>
    <message id="ui.records.local_only">
        <source>Central's records are not available now: showing this kiosk's only</source>
        <translation>暂时无法获取总部记录，仅显示本机记录</translation>
    </message>
</context>
</TS>
