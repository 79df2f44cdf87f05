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
    """The base of every device: a context manager whose ``close()`` is idempotent and ``health()`` never raises.

    ``name`` (a class attribute) names the device in errors and health rows.
    A subclass's constructor takes what it needs and, if a step fails,
    releases what it already took before raising a
    :class:`~drivers.errors.DeviceError`; it calls ``super().__init__()``
    first, so that ``close()`` (also run when the object is collected) works
    on a half-built device.  The module docstring shows a whole device.
    """

    name = "device"

    def __init__(self) -> None:
        self._closed = False

    @property
    def closed(self) -> bool:
        """The device was released (``close()`` ran); a closed device refuses work."""
        return self._closed

    def close(self) -> None:
        """Release what the device holds; idempotent.  Subclasses release their own, then call this."""
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
