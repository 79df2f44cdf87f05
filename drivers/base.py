"""The shape every device class follows (after gpiozero's Device).

* The constructor opens what it needs; if any step fails it releases what it
  already took, then raises a :class:`~drivers.errors.DeviceError`.
* ``close()`` is idempotent; devices are context managers.
* ``health()`` never raises: it returns a :class:`~drivers.health.Health`.

>>> from drivers.base import Device
>>> from drivers.health import Health
>>> class Lamp(Device):
...     name = "lamp"
...     def health(self): return Health(self.name, ok=not self.closed, summary="lit")
>>> with Lamp() as lamp: print(lamp.health().ok)
True
"""

from __future__ import annotations

import abc

from drivers.health import Health


class Device(abc.ABC):
    name = "device"

    def __init__(self) -> None:
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True

    @abc.abstractmethod
    def health(self) -> Health:
        """Check the device without raising; the admin screen and selftest show the result."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
