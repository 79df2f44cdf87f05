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
        <source>Reading your ID card...</source>
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
        <source>Getting ready to check your face...</source>
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
        <source>Running the self-test...</source>
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
    <message id="service.my_records">
        <source>My records</source>
        <translation>我的记录</translation>
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
    <message id="preparing">
        <source>One moment...</source>
        <translation>请稍候…</translation>
    </message>
    <message id="preparing.next">
        <source>Working on it; please stay here</source>
        <translation>正在处理，请勿离开</translation>
    </message>
    <message id="preparing.certificate">
        <source>Preparing your certificate...</source>
        <translation>正在开具证明…</translation>
    </message>
    <message id="preparing.certificate.next">
        <source>Fetching your data from head office and drawing the certificate</source>
        <translation>正在向总部获取资料并生成证明，请稍候</translation>
    </message>
    <message id="preparing.order">
        <source>Placing your badge order...</source>
        <translation>正在下单…</translation>
    </message>
    <message id="preparing.order.next">
        <source>Asking head office for your badge</source>
        <translation>正在向总部申请工牌</translation>
    </message>
    <message id="preparing.badge">
        <source>Making your badge...</source>
        <translation>正在制作工牌…</translation>
    </message>
    <message id="preparing.badge.next">
        <source>Preparing the photo and the card</source>
        <translation>正在准备照片和卡面，请稍候</translation>
    </message>
    <message id="preparing.cancel">
        <source>Cancelling the order...</source>
        <translation>正在取消订单…</translation>
    </message>
    <message id="preparing.cancel.next">
        <source>If you have already paid, your badge is still made</source>
        <translation>如果您已付款，工牌仍会为您制作</translation>
    </message>
    <message id="cert_preview">
        <source>Please check your certificate</source>
        <translation>请核对证明内容</translation>
    </message>
    <message id="cert_preview.next">
        <source>Serial %1. Tap "Print" when it is right</source>
        <translation>编号 %1。内容无误后点击“打印”</translation>
    </message>
    <message id="badge_preview">
        <source>Please check your badge</source>
        <translation>请核对工牌</translation>
    </message>
    <message id="badge_preview.next">
        <source>Order %1 is paid. Tap "Print" to make the card</source>
        <translation>订单 %1 已付款。点击“打印”制卡</translation>
    </message>
    <message id="badge_reason">
        <source>Why do you need a new badge?</source>
        <translation>为什么需要补办工牌？</translation>
    </message>
    <message id="badge_reason.next">
        <source>A replacement has a fee: choose, then pay with WeChat</source>
        <translation>补办需要付费，选择后用微信扫码支付</translation>
    </message>
    <message id="payment">
        <source>Scan with WeChat to pay</source>
        <translation>请用微信扫码支付</translation>
    </message>
    <message id="payment.next">
        <source>The kiosk goes on by itself once you have paid. Time left %1</source>
        <translation>支付完成后会自动继续。剩余时间 %1</translation>
    </message>
    <message id="printing">
        <source>Printing...</source>
        <translation>正在打印…</translation>
    </message>
    <message id="printing.next">
        <source>Take it from the printer tray when it is done</source>
        <translation>请在打印机出口取走文件</translation>
    </message>
    <message id="printing.out_of_paper">
        <source>The printer is out of paper</source>
        <translation>打印机缺纸</translation>
    </message>
    <message id="printing.out_of_paper.next">
        <source>Printing goes on once paper is loaded; please wait</source>
        <translation>工作人员补纸后会继续打印，请稍候</translation>
    </message>
    <message id="printing.jam">
        <source>The printer has a paper jam</source>
        <translation>打印机卡纸</translation>
    </message>
    <message id="printing.jam.next">
        <source>Please wait for a member of staff</source>
        <translation>请等待工作人员处理</translation>
    </message>
    <message id="printing.cover_open">
        <source>The printer cover is open</source>
        <translation>打印机盖板未关</translation>
    </message>
    <message id="printing.cover_open.next">
        <source>Printing goes on once the cover is closed</source>
        <translation>关好盖板后继续打印</translation>
    </message>
    <message id="print_failed">
        <source>The print did not finish</source>
        <translation>打印未完成</translation>
    </message>
    <message id="print_failed.next">
        <source>You can print again: same number, no second charge</source>
        <translation>可以重新打印，编号不变，不会重复收费</translation>
    </message>
    <message id="print_failed.out_of_paper">
        <source>The printer ran out of paper</source>
        <translation>打印机缺纸，打印未完成</translation>
    </message>
    <message id="print_failed.out_of_paper.next">
        <source>Once paper is loaded, print again: same number, no second charge</source>
        <translation>补纸后可重新打印，编号不变，不会重复收费</translation>
    </message>
    <message id="print_failed.jam">
        <source>The printer jammed</source>
        <translation>打印机卡纸，打印未完成</translation>
    </message>
    <message id="print_failed.jam.next">
        <source>Once the jam is cleared, print again: same number, no second charge</source>
        <translation>清除卡纸后可重新打印，编号不变，不会重复收费</translation>
    </message>
    <message id="print_failed.cover_open">
        <source>The printer cover was open</source>
        <translation>打印机盖板未关，打印未完成</translation>
    </message>
    <message id="print_failed.cover_open.next">
        <source>Close the cover, then print again: same number, no second charge</source>
        <translation>关好盖板后可重新打印，编号不变，不会重复收费</translation>
    </message>
    <message id="print_failed.offline">
        <source>The printer cannot be reached</source>
        <translation>打印机无法连接</translation>
    </message>
    <message id="print_failed.offline.next">
        <source>Print again in a moment, or ask at the service desk</source>
        <translation>请稍后重新打印，或到服务台办理</translation>
    </message>
    <message id="print_failed.timeout">
        <source>The printer took too long</source>
        <translation>打印超时</translation>
    </message>
    <message id="print_failed.timeout.next">
        <source>Check the printer, then print again: same number, no second charge</source>
        <translation>请检查打印机后重新打印，编号不变，不会重复收费</translation>
    </message>
    <message id="print_failed.other">
        <source>The printer reported a problem</source>
        <translation>打印出错</translation>
    </message>
    <message id="print_failed.other.next">
        <source>Print again, or ask at the service desk</source>
        <translation>可以重新打印，或到服务台办理</translation>
    </message>
    <message id="service_failed">
        <source>This service is not available now</source>
        <translation>暂时无法办理</translation>
    </message>
    <message id="service_failed.next">
        <source>Please try again later, or ask at the service desk</source>
        <translation>请稍后再试，或到服务台办理</translation>
    </message>
    <message id="service_failed.offline">
        <source>Head office cannot be reached</source>
        <translation>无法连接总部</translation>
    </message>
    <message id="service_failed.offline.next">
        <source>Certificates and badges need head office; please try again later</source>
        <translation>证明和工牌需要联网办理，请稍后再试</translation>
    </message>
    <message id="service_failed.busy">
        <source>Head office is busy</source>
        <translation>总部系统繁忙</translation>
    </message>
    <message id="service_failed.busy.next">
        <source>Please try again in a few minutes</source>
        <translation>请过几分钟再试</translation>
    </message>
    <message id="service_failed.no_data">
        <source>Head office holds no data for this</source>
        <translation>总部没有您的相关资料</translation>
    </message>
    <message id="service_failed.no_data.next">
        <source>Please ask at the HR service desk</source>
        <translation>请到人事服务台办理</translation>
    </message>
    <message id="service_failed.not_enrolled">
        <source>This kiosk is not connected to head office</source>
        <translation>本机尚未接入总部</translation>
    </message>
    <message id="service_failed.not_enrolled.next">
        <source>Please tell a technician</source>
        <translation>请联系技术人员</translation>
    </message>
    <message id="service_failed.refused">
        <source>A badge cannot be ordered for you now</source>
        <translation>暂时不能为您办理工牌</translation>
    </message>
    <message id="service_failed.refused.next">
        <source>Please ask at the HR service desk</source>
        <translation>请到人事服务台咨询</translation>
    </message>
    <message id="service_failed.limit">
        <source>You have used this year's replacements</source>
        <translation>本年度补办次数已用完</translation>
    </message>
    <message id="service_failed.limit.next">
        <source>Please ask at the HR service desk</source>
        <translation>请到人事服务台咨询</translation>
    </message>
    <message id="service_failed.payment_timed_out">
        <source>The payment timed out; the order is cancelled</source>
        <translation>支付已超时，订单已取消</translation>
    </message>
    <message id="service_failed.payment_timed_out.next">
        <source>Nothing was charged. You can start again</source>
        <translation>没有扣款。可以重新办理</translation>
    </message>
    <message id="service_failed.payment_cancelled">
        <source>The order is cancelled</source>
        <translation>订单已取消</translation>
    </message>
    <message id="service_failed.payment_cancelled.next">
        <source>Nothing was charged</source>
        <translation>没有扣款</translation>
    </message>
    <message id="service_failed.error">
        <source>Something went wrong</source>
        <translation>办理时出错</translation>
    </message>
    <message id="service_failed.error.next">
        <source>Please try again, or ask at the service desk</source>
        <translation>请重试，或到服务台办理</translation>
    </message>
    <message id="refund_requested">
        <source>A refund of %1 was requested</source>
        <translation>已为您申请退款 %1</translation>
    </message>
    <message id="refund_requested.next">
        <source>Your badge could not be made. The money goes back to your WeChat account, usually within 1 to 3 working days; you need do nothing</source>
        <translation>工牌未能制作。款项将原路退回微信，一般 1 至 3 个工作日到账；无需再次办理</translation>
    </message>
    <message id="rating">
        <source>Please take your certificate</source>
        <translation>请取走您的证明</translation>
    </message>
    <message id="rating.next">
        <source>Serial %1. How was this service?</source>
        <translation>编号 %1。本次服务您满意吗？</translation>
    </message>
    <message id="rating.badge">
        <source>Please take your badge</source>
        <translation>请取走您的工牌</translation>
    </message>
    <message id="rating.badge.next">
        <source>Your old badge no longer opens doors. How was this service?</source>
        <translation>旧工牌已停用。本次服务您满意吗？</translation>
    </message>
    <message id="rating.thanks">
        <source>Thank you for your rating</source>
        <translation>谢谢您的评价</translation>
    </message>
    <message id="rating.thanks.next">
        <source>Is there anything else?</source>
        <translation>还需要办理其他业务吗？</translation>
    </message>
    <message id="not_provisioned">
        <source>This kiosk is not set up yet</source>
        <translation>本机尚未完成配置</translation>
    </message>
    <message id="not_provisioned.next">
        <source>Technician: read terminal-provision-result.txt on the SD card</source>
        <translation>请技术人员查看 SD 卡上的 terminal-provision-result.txt</translation>
    </message>
    <message id="service.cert_employment">
        <source>Employment certificate</source>
        <translation>在职证明</translation>
    </message>
    <message id="service.cert_income">
        <source>Income certificate</source>
        <translation>收入证明</translation>
    </message>
    <message id="service.cert_social_insurance">
        <source>Social insurance certificate</source>
        <translation>五险一金缴纳证明</translation>
    </message>
    <message id="service.badge_first">
        <source>First staff badge</source>
        <translation>领取工牌</translation>
    </message>
    <message id="service.badge_replacement">
        <source>Replacement badge</source>
        <translation>补办工牌</translation>
    </message>
    <message id="service.checking">
        <source>Checking...</source>
        <translation>正在查询…</translation>
    </message>
    <message id="service.offline">
        <source>Head office unreachable</source>
        <translation>总部暂时无法连接</translation>
    </message>
    <message id="service.not_enrolled">
        <source>Kiosk not connected</source>
        <translation>本机未接入总部</translation>
    </message>
    <message id="service.no_template">
        <source>Template not synced yet</source>
        <translation>模板尚未同步</translation>
    </message>
    <message id="service.no_printer">
        <source>Printer not available</source>
        <translation>打印机不可用</translation>
    </message>
    <message id="service.busy">
        <source>Head office busy</source>
        <translation>总部繁忙</translation>
    </message>
    <message id="service.limit">
        <source>Yearly limit reached</source>
        <translation>本年补办次数已满</translation>
    </message>
    <message id="service.not_allowed">
        <source>Not available to you</source>
        <translation>暂不可办理</translation>
    </message>
    <message id="service.open_order">
        <source>An order is still open</source>
        <translation>有未完成的订单</translation>
    </message>
    <message id="ui.print">
        <source>Print</source>
        <translation>打印</translation>
    </message>
    <message id="ui.print_again">
        <source>Print again</source>
        <translation>重新打印</translation>
    </message>
    <message id="ui.back_to_menu">
        <source>Back to menu</source>
        <translation>返回菜单</translation>
    </message>
    <message id="ui.badge_lost">
        <source>Lost %1</source>
        <translation>遗失 %1</translation>
    </message>
    <message id="ui.badge_damaged">
        <source>Damaged %1</source>
        <translation>损坏 %1</translation>
    </message>
    <message id="ui.order_number">
        <source>Order %1</source>
        <translation>订单号 %1</translation>
    </message>
    <message id="ui.cancel_payment">
        <source>Cancel order</source>
        <translation>取消订单</translation>
    </message>
    <message id="ui.rate_satisfied">
        <source>Satisfied</source>
        <translation>满意</translation>
    </message>
    <message id="ui.rate_neutral">
        <source>Neutral</source>
        <translation>一般</translation>
    </message>
    <message id="ui.rate_unsatisfied">
        <source>Not satisfied</source>
        <translation>不满意</translation>
    </message>
    <message id="ui.done">
        <source>OK</source>
        <translation>好的</translation>
    </message>
    <message id="ui.leave_refund">
        <source>Leave without it (refund)</source>
        <translation>不制卡，申请退款</translation>
    </message>
    <message id="record.kind.kiosk.verified">
        <source>Identity check</source>
        <translation>身份核验</translation>
    </message>
    <message id="record.kind.kiosk.verification_failed">
        <source>Identity check</source>
        <translation>身份核验</translation>
    </message>
    <message id="record.kind.kiosk.locked">
        <source>Code lock-out</source>
        <translation>验证码锁定</translation>
    </message>
    <message id="record.kind.certificate.issued">
        <source>Certificate issued</source>
        <translation>开具证明</translation>
    </message>
    <message id="record.kind.certificate.printed">
        <source>Certificate printed</source>
        <translation>打印证明</translation>
    </message>
    <message id="record.kind.badge.printed">
        <source>Badge made</source>
        <translation>制作工牌</translation>
    </message>
    <message id="record.kind.payment.order_created">
        <source>Badge order</source>
        <translation>工牌订单</translation>
    </message>
    <message id="record.kind.payment.paid">
        <source>Badge payment</source>
        <translation>工牌付款</translation>
    </message>
    <message id="record.kind.payment.cancelled">
        <source>Badge order</source>
        <translation>工牌订单</translation>
    </message>
    <message id="record.kind.payment.refund_requested">
        <source>Badge refund</source>
        <translation>工牌退款</translation>
    </message>
    <message id="record.status.issued">
        <source>Issued</source>
        <translation>已开具</translation>
    </message>
    <message id="record.status.created">
        <source>Ordered</source>
        <translation>已下单</translation>
    </message>
    <message id="record.status.cancelled">
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message id="record.status.timed_out">
        <source>Timed out</source>
        <translation>已超时</translation>
    </message>
    <message id="record.status.abandoned">
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message id="record.status.refund_requested">
        <source>Refund requested</source>
        <translation>退款中</translation>
    </message>
    <message id="record.status.locked">
        <source>Locked</source>
        <translation>已锁定</translation>
    </message>
</context>
</TS>
