"""Helpers for driving the kiosk in tests and the demo tour: a store with a directory, cards, a harness.

Not fixtures (those live in tests/conftest.py): plain functions the flow's
tests and the UI's end-to-end tests share.

>>> p = PEOPLE["E1001"]; p.masked_phone
'138****8001'
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

from sync.pull import DIRECTORY_KEY_ID, id_hmac
from terminal.pii import mask_phone

DEPLOYMENT_KEY = b"kiosk-test-deployment-key-32byte"


@dataclass(frozen=True)
class Person:
    """A made-up employee: directory fields plus what their card carries."""

    employee_no: str
    id_number: str
    name: str
    phone: str
    birth: str
    status: str = "active"
    role: str = ""

    @property
    def masked_phone(self) -> str:
        """The phone as the screen shows it."""
        return mask_phone(self.phone)


PEOPLE = {p.employee_no: p for p in [
    Person("E1001", "11010519491231002X", "测试甲", "13800138001", "19491231"),
    Person("E1002", "440303198808081231", "欧阳测试", "13800138002", "19880808"),
    Person("E1009", "110105198001010016", "离职乙", "13800138009", "19800101", status="left"),
    Person("T0001", "110105199001010010", "技术丙", "13800138010", "19900101", role="technician"),
    Person("E1010", "110105198506060019", "无号丁", "", "19850606"),
]}


def kiosk_migrations() -> list:
    """The sync, kiosk, certificate and badge migrations (what terminal.migrations.all_migrations gives a kiosk)."""
    from kiosk.badges.store import MIGRATIONS as BADGES
    from kiosk.certificates.store import MIGRATIONS as CERTIFICATES
    from kiosk.store import MIGRATIONS as KIOSK
    from sync.state import MIGRATIONS as SYNC
    return [*SYNC, *KIOSK, *CERTIFICATES, *BADGES]


def open_kiosk_store(path: str | Path):
    """A terminal store at ``path`` with the sync and kiosk tables."""
    from sync.store import open_store
    return open_store(path, kiosk_migrations())


def seed_directory(store, people=None, *, config: dict | None = None) -> None:
    """Put the deployment key, the directory (keyed by HMAC, as central sends it) and central's kiosk
    config into ``store``, as a pull would."""
    people = PEOPLE.values() if people is None else people
    rows = [("keys", DIRECTORY_KEY_ID, {"id": DIRECTORY_KEY_ID, "kind": "hmac-sha256",
                                        "key": base64.b64encode(DEPLOYMENT_KEY).decode()})]
    for p in people:
        item = {"id": p.employee_no, "employee_no": p.employee_no, "id_hmac": id_hmac(DEPLOYMENT_KEY, p.id_number),
                "name": p.name, "status": p.status}
        if p.phone:
            item["phone"] = p.phone
        if p.role:
            item["role"] = p.role
        rows.append(("directory", p.employee_no, item))
    if config is not None:
        rows.append(("config", "kiosk", {"id": "kiosk", **config}))
    with store.write() as db:
        db.conn.executemany("INSERT OR REPLACE INTO sync_ref_items (dataset, id, data) VALUES (?, ?, ?)",
                            [(d, i, json.dumps(v, ensure_ascii=False)) for d, i, v in rows])


def sim_card(person: Person | None = None, *, id_number: str | None = None, valid_from: str = "20200101",
             valid_to: str = "长期", name: str | None = None):
    """A drivers.idcard SimCard for ``person`` (or a stranger with ``id_number``), resident layout."""
    from drivers.idcard.layouts import encode_text
    from drivers.idcard.samples import SimCard
    number = id_number or person.id_number
    birth = person.birth if person else (number[6:14] if re.fullmatch(r"\d{17}[\dX]", number) else "19900101")
    gender = "1" if number[-2:-1].isdigit() and int(number[-2]) % 2 else "2"   # the number's sex digit
    text = encode_text("resident", name=name or (person.name if person else "陌生人"), gender=gender, nation="01",
                       birth=birth, address="北京市朝阳区测试路9号", id_number=number,
                       authority="北京市公安局朝阳分局", valid_from=valid_from, valid_to=valid_to)
    return SimCard(text, bytes(1024), None, label="test")


def grep_files(root: str | Path, *needles: str) -> list[str]:
    """Files under ``root`` whose bytes contain any needle (UTF-8 or UTF-16-LE): the leak check for temp files."""
    found = []
    for path in Path(root).rglob("*"):
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(n.encode() in data or n.encode("utf-16-le") in data for n in needles if n):
                found.append(str(path))
    return found


def module_constants(depth: int = 6) -> set[int]:
    """ids of the containers reachable from module globals outside kiosk/ and ui/ (demo seeds,
    sample cards, test tables): data that was never the kiosk's.  A visit's data the kiosk
    leaks through its own modules is still found."""
    import sys

    seen: set[int] = set()
    stack = [(vars(m), 0) for name, m in list(sys.modules.items())
             if m is not None and not name.startswith(("kiosk", "ui"))]
    while stack:
        obj, level = stack.pop()
        if id(obj) in seen or level > depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            children = list(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = list(obj)
        else:
            continue
        stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list, tuple, set, frozenset)))
    return seen


def live_objects_holding(*reversed_needles: str) -> list[str]:
    """Descriptions of live gc-tracked containers holding a string (or bytes/bytearray) with any needle.

    The needles are given reversed (``"X2001..."[::-1]``) so that the caller's
    own copies do not match; they are turned round only inside this call.
    Strings are not tracked by the collector, so the search looks inside every
    tracked container (dicts, lists, tuples, sets, objects' __dict__).
    """
    import gc
    gc.collect()
    wanted = [n[::-1] for n in reversed_needles if n]
    wanted_b = [n.encode() for n in wanted]
    hits = []
    constants = module_constants()

    def bad(v) -> bool:
        if isinstance(v, str):
            return any(n in v for n in wanted)
        if isinstance(v, (bytes, bytearray)):
            return any(n in v for n in wanted_b)
        return False

    for obj in gc.get_objects():
        if obj is wanted or obj is wanted_b or id(obj) in constants:
            continue
        try:
            if isinstance(obj, dict):
                items = list(obj.keys()) + list(obj.values())
            elif isinstance(obj, (list, tuple, set, frozenset)):
                items = list(obj)
            else:
                items = list(getattr(obj, "__dict__", {}).values())
        except Exception:
            continue
        for v in items:
            if bad(v):
                owners = ", ".join(sorted({type(r).__name__ + (f" {getattr(r, '__qualname__', '')}"
                                                               if hasattr(r, "__qualname__") else "")
                                           for r in gc.get_referrers(obj) if r is not hits}))[:200]
                hits.append(f"{type(obj).__name__} holding {type(v).__name__} (held by: {owners})")
                break
    return hits


class KioskRig:
    """A kiosk on the simulators with fake time: store, reader, SMS sender, flow (inline runner).

    ``idcard_sim`` and ``modem_sim`` are the conftest simulators; ``sms`` may
    be given instead of the modem (another transport, or None); other keyword
    arguments are :class:`kiosk.devices.Devices` fields (printers, receipt, ...).  Every view
    the flow publishes is checked (known screen and message key, JSON-able)
    and kept in ``views``.  ``restart()`` builds a new flow on the same store,
    as a kiosk restart would.
    """

    def __init__(self, tmp_path, idcard_sim, modem_sim=None, *, kiosk: dict | None = None, sms=...,
                 people=None, config: dict | None = None, seed: bool = True, clock=None, store=None, **devices):
        from drivers.idcard import open_idcard
        from drivers.sms import open_sms
        from kiosk.clock import FakeClock
        self.tmp_path, self.sim, self.modem = Path(tmp_path), idcard_sim, modem_sim
        # ``store``: an enrolled terminal store (the services' tests); else a fresh one with the kiosk's tables
        self.store = store if store is not None else open_kiosk_store(self.tmp_path / "kiosk.db")
        if seed:
            seed_directory(self.store, people, config=config)
        self.clock = clock or FakeClock()
        self.cfg = {"kiosk": kiosk or {}}
        self.reader = open_idcard({"port": idcard_sim.port, "timeout_s": 0.3}) if idcard_sim else None
        if sms is ...:
            sms = open_sms({"transport": "modem", "port": modem_sim.port, "command_timeout_s": 1.0,
                            "send_timeout_s": 3.0}) if modem_sim else None
        self.sms = sms
        self.extra_devices = devices
        self.views: list[dict] = []
        self.flow = None
        self.restart()

    def _devices(self):
        from kiosk.devices import Devices
        return Devices(reader=self.reader, sms=self.sms, **self.extra_devices)

    def restart(self, *, threaded: bool = False):
        """A new KioskFlow on the same store and devices (the old one is closed first)."""
        from kiosk.flow import KioskFlow
        if self.flow is not None:
            self.flow.close()
        self.flow = KioskFlow(self.store, self.cfg, clock=self.clock, devices=self._devices(), threaded=threaded)
        self.flow.subscribe(self._check)
        return self.flow

    def _check(self, view: dict) -> None:
        from kiosk.messages import MESSAGE_KEYS, SCREENS
        assert view["screen"] in SCREENS, view
        assert view["text"] in MESSAGE_KEYS, view
        json.dumps(view)
        self.views.append(view)

    # -- acting ------------------------------------------------------------------------------------
    @property
    def view(self) -> dict:
        """The flow's view now."""
        return self.flow.view()

    def send(self, *events) -> dict:
        """Hand events to the flow; returns the view after them."""
        for e in events:
            self.flow.handle(e)
        return self.view

    def poll(self) -> dict:
        """One reader poll (the runner's), then the view."""
        self.flow.runner.poll_reader()
        return self.view

    def place(self, person_or_card) -> dict:
        """Put a card on the simulated reader and poll once."""
        card = person_or_card if not isinstance(person_or_card, Person) else sim_card(person_or_card)
        self.sim.place(card)
        return self.poll()

    def lift(self) -> dict:
        """Take the card off and poll once."""
        self.sim.lift()
        return self.poll()

    def last_code(self) -> str:
        """The code in the newest message the simulated handset received."""
        return re.search(r"\d{6}", self.modem.messages[-1].text).group()

    def type(self, digits: str) -> dict:
        """Press each digit on the keypad."""
        from kiosk.events import KeyPressed
        return self.send(*[KeyPressed(d) for d in digits])

    def advance(self, seconds: float) -> dict:
        """Move fake time on and tick."""
        from kiosk.events import Tick
        self.clock.advance(seconds)
        return self.send(Tick())

    def events(self, prefix: str = "kiosk.") -> list[tuple[str, dict]]:
        """The outbox events recorded so far, (type, payload), oldest first."""
        return [(t, json.loads(p)) for t, p in self.store.conn.execute(
            "SELECT type, payload FROM sync_outbox WHERE type LIKE ? ORDER BY seq", (prefix + "%",))]

    def close(self) -> None:
        """Close the flow, the devices and the store."""
        if self.flow is not None:
            self.flow.close()
        for d in (self.reader, self.sms):
            if d is not None:
                d.close()
        self.store.close()
