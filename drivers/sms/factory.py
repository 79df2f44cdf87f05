"""``open_sms(section)``: the SMS sender the ``[sms]`` config section names, modem or central.

>>> from drivers.sms import ModemSimulator, open_sms
>>> with ModemSimulator() as sim, open_sms({"transport": "modem", "port": sim.port}) as sms:
...     sms.send("13800138000", "Your code is 123456").parts
1
"""

from __future__ import annotations

from collections.abc import Mapping

from drivers.errors import DeviceBusy, DeviceUnavailable
from drivers.sms.sender import SmsSender


def open_sms(section: Mapping, **overrides) -> SmsSender:
    """The sender the ``[sms]`` section (``cfg.sms``, or a dict of its keys) describes.

    Keys the section leaves out take the schema's defaults (drivers/settings.py).
    ``transport = "modem"`` gives a :class:`~drivers.sms.modem.ModemSms` on
    ``port`` (with ``backend = "sim"``, the real driver on the simulator's
    pty); ``"central"`` a :class:`~drivers.sms.central.CentralSms` for
    ``central_url``.  ``overrides`` are keyword arguments of that class
    (``timeout_s=...``; ``auth=`` a requests auth object, used by central
    only) and win over the section.  Returns the open sender; raises
    :class:`~drivers.errors.ConfigurationError` for a bad setting and
    :class:`~drivers.errors.DeviceUnavailable` when the modem's port cannot
    be opened (the hint names ``terminal sim modem`` for the simulator).
    """
    from drivers.settings import SMS

    def get(key):
        return section[key] if key in section else SMS.settings[key].default

    auth = overrides.pop("auth", None)
    if get("transport") == "central":
        from drivers.sms.central import CentralSms

        options = dict(ca_bundle=get("ca_bundle"), timeout_s=get("http_timeout_s"), auth=auth)
        return CentralSms(get("central_url"), **{**options, **overrides})
    from drivers.sms.modem import ModemSms

    options = dict(baudrate=get("baudrate"), timeout_s=get("command_timeout_s"),
                   send_timeout_s=get("send_timeout_s"), validity_s=get("validity_s"),
                   sign=get("sign"), max_parts=get("max_parts"))
    try:
        return ModemSms(get("port"), **{**options, **overrides})
    except DeviceUnavailable as exc:
        if (section["backend"] if "backend" in section else "real") != "sim" or isinstance(exc, DeviceBusy):
            raise
        raise DeviceUnavailable(exc.device, exc.reason,
                                hint=f"start the simulator: terminal sim modem --port {get('port')}") from None
