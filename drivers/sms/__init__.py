"""SMS: one interface (:class:`SmsSender`), two backends, a modem simulator.

* :class:`~drivers.sms.modem.ModemSms` - a 4G/GSM modem on a serial port (PDU mode, UCS2, concatenation);
* :class:`~drivers.sms.central.CentralSms` - the central platform's HTTP API;
* :class:`~drivers.sms.simulator.ModemSimulator` - a modem on a pseudo-terminal for tests and the demo.

:func:`open_sender` builds the configured backend from the ``[sms]`` section:

>>> from drivers.sms import open_sender
>>> from drivers.sms.simulator import ModemSimulator
>>> with ModemSimulator() as sim:
...     with open_sender({"transport": "modem", "port": sim.port}) as sms:
...         sms.send("13800138000", "Your code is 123456").parts
1
"""

from __future__ import annotations

from collections.abc import Mapping

from drivers.sms.errors import SmsError
from drivers.sms.sender import SendResult, SmsSender

__all__ = ["SmsSender", "SendResult", "SmsError", "open_sender"]


def open_sender(section: Mapping, *, auth=None) -> SmsSender:
    """The sender an ``[sms]`` config section describes (missing keys take the schema's defaults)."""
    from drivers.settings import SMS

    def get(key):
        return section[key] if key in section else SMS.settings[key].default

    if get("transport") == "central":
        from drivers.sms.central import CentralSms

        return CentralSms(get("central_url"), ca_bundle=get("ca_bundle"), timeout_s=get("http_timeout_s"),
                          auth=auth)
    from drivers.errors import DeviceUnavailable
    from drivers.sms.modem import ModemSms

    try:
        return ModemSms(get("port"), baudrate=get("baudrate"), timeout_s=get("command_timeout_s"),
                        send_timeout_s=get("send_timeout_s"), validity_minutes=get("validity_minutes"),
                        sign=get("sign"), max_parts=get("max_parts"))
    except DeviceUnavailable as exc:
        if get("backend") != "sim":
            raise
        raise DeviceUnavailable(exc.device, exc.reason,
                                hint=f"start the simulator: terminal sim modem --port {get('port')}") from None
