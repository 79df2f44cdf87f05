"""SMS: one interface (:class:`SmsSender`), two backends, a modem simulator.

* :class:`~drivers.sms.modem.ModemSms` - a 4G/GSM modem on a serial port (PDU mode, UCS2, concatenation);
* :class:`~drivers.sms.central.CentralSms` - the central platform's HTTP API;
* :class:`~drivers.sms.sim.ModemSimulator` - a modem on a pseudo-terminal for tests and the demo.

:func:`open_sms` builds the configured backend from the ``[sms]`` section:

>>> from drivers.sms import ModemSimulator, open_sms
>>> with ModemSimulator() as sim:
...     with open_sms({"transport": "modem", "port": sim.port}) as sms:
...         sms.send("13800138000", "Your code is 123456").parts
1
"""

from drivers.lazy import lazy_exports

_EXPORTS = {
    "CentralSms": "drivers.sms.central",
    "CentralRateLimited": "drivers.sms.errors",
    "CentralRejected": "drivers.sms.errors",
    "CentralUnavailable": "drivers.sms.errors",
    "InvalidMessage": "drivers.sms.errors",
    "KeyConflict": "drivers.sms.errors",
    "NoNetwork": "drivers.sms.errors",
    "SimNotReady": "drivers.sms.errors",
    "SmsError": "drivers.sms.errors",
    "open_sms": "drivers.sms.factory",
    "Modem": "drivers.sms.modem",
    "ModemSms": "drivers.sms.modem",
    "SendResult": "drivers.sms.sender",
    "SmsSender": "drivers.sms.sender",
    "ModemSimulator": "drivers.sms.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
