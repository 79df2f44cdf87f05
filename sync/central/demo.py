"""What ``make demo`` needs from central: a seeded database and enrolment tokens for its terminals.

:func:`prepare_central` (called by ``terminal.demo.demo_services``) opens the
demo's SQLite database, loads the demo reference data (idempotent: an
unchanged item keeps its version), and for every demo terminal that is not
enrolled yet writes a fresh one-time token to ``<demo>/<role>/enrolment-token``
(mode 0600).  The sync side enrols with it::

    terminal sync enroll --config <demo>/<role>/terminal.toml --central http://127.0.0.1:8740 \\
        --token "$(cat <demo>/<role>/enrolment-token)"

A consumer token for ``/v1/feed`` is kept in ``<demo>/central/feed-token``.
The directory people are the identities on the ID-card simulator's sample
cards, so a simulated card read finds its employee; each has an HR photo (a
portrait from ../shared/testdata/faces when present, else a drawn one) for the
kiosk's face check.  The drop box's demo takes
its generated forms from :func:`demo_form_codes` (one code per claim awaiting an
envelope, optionally as printable PDFs) and its courier from
:func:`demo_collection_code`.
"""

from __future__ import annotations

import os
from pathlib import Path

from sync.central.routes.certdata import DEMO_TEMPLATES as CERTIFICATE_TEMPLATES

DEMO_LISTEN = "127.0.0.1:8740"
DEMO_URL = f"http://{DEMO_LISTEN}"
TOKEN_FILE = "enrolment-token"
TOKEN_TTL_S = 7 * 86400

DIRECTORY = [
    {"employee_no": "E1001", "id_number": "11010519491231002X", "name": "测试甲", "department": "Finance",
     "phone": "13800138001", "site": "demo"},
    {"employee_no": "E1002", "id_number": "440303198808081231", "name": "欧阳测试", "department": "HR",
     "phone": "13800138002", "site": "demo"},
    {"employee_no": "E1003", "id_number": "810000199001010019", "name": "测试乙", "department": "IT",
     "phone": "13800138003", "site": "demo"},
    {"employee_no": "E1004", "id_number": "USA318001010015", "name": "杜约翰", "name_en": "DOE, JOHN TEST",
     "department": "Legal", "phone": "13800138004", "site": "demo"},
    {"employee_no": "E1005", "id_number": "931840198503150028", "name": "蒙测试",
     "name_en": "MONTGOMERY, ALEXANDRA CATHERINE JANE DOE", "department": "Operations",
     "phone": "13800138005", "site": "demo"},
]

CLAIMS = [
    {"id": "CLM-2026-0001", "employee_no": "E1001", "amount_cents": 12850, "currency": "CNY",
     "status": "awaiting_envelope", "description": "taxi receipts, October"},
    {"id": "CLM-2026-0002", "employee_no": "E1002", "amount_cents": 48000, "currency": "CNY",
     "status": "awaiting_envelope", "description": "training course fee"},
    {"id": "CLM-2026-0003", "employee_no": "E1003", "amount_cents": 2300, "currency": "CNY",
     "status": "awaiting_envelope", "description": "office supplies"},
]

# Certificate templates (Chinese, English optional) and the HR data they print live with the
# certificate data endpoint: sync/central/routes/certdata.py.
TEMPLATES = [
    *CERTIFICATE_TEMPLATES,
    {"id": "staff-badge", "kind": "badge", "version": 1, "title": "Staff badge", "body": "{name}\n{department}"},
]

CONFIG = [
    {"id": "kiosk", "idle_timeout_s": 60, "sms_code_ttl_s": 300, "max_prints_per_day": 5},
    {"id": "dropbox", "slot_open_s": 10, "collection_window": "09:00-17:00"},   # the issue caps the window at 10 s
    # Badges (kiosk/badges, sync/central/orders.py): who may (current staff; a first badge only without one),
    # how often (replacements a year) and the fee per reason; the kiosk shows the fee, central charges it.
    {"id": "badges", "currency": "CNY", "fees_cents": {"first": 0, "lost": 2000, "damaged": 1000},
     "max_replacements_per_year": 3, "payment_timeout_s": 180, "access_code": "qr"},
]

REVOKED_BADGES = [
    {"id": "BDG-E1003-1", "employee_no": "E1003", "reason": "reported lost", "replaced_by": "BDG-E1003-2"},
]

DATASETS = {"directory": DIRECTORY, "claims": CLAIMS, "templates": TEMPLATES, "config": CONFIG,
            "revoked_badges": REVOKED_BADGES}


def central_db(root: Path) -> Path:
    """The demo's central database under demo folder ``root``: ``<root>/central/central.db``."""
    return Path(root) / "central" / "central.db"


def prepare_central(root: Path, devices: dict[str, str]) -> Path:
    """Seed the demo database and write enrolment tokens; ``devices`` maps role -> device id."""
    from sync.central.reference import to_item
    from sync.central.orders import seed_demo_badges
    from sync.central.routes.certdata import publish_terminal_keys, seed_demo_certdata
    from sync.central.routes.photo import seed_demo_photos
    from sync.central.storage import open_storage

    root = Path(root)
    db = central_db(root)
    storage = open_storage(db)
    try:
        key = storage.deployment_key()
        for dataset, lines in DATASETS.items():
            storage.load_reference(dataset, [to_item(dataset, dict(x), deployment_key=key) for x in lines])
        seed_demo_certdata(storage)      # hire dates, titles, salaries, contribution months
        publish_terminal_keys(storage)   # terminals enrolled by an earlier run
        seed_demo_photos(storage, [person["employee_no"] for person in DIRECTORY])
        seed_demo_badges(storage)        # E1001-E1005's badges (E1004 a new hire without one)
        for role, device_id in devices.items():
            path = root / role / TOKEN_FILE
            if storage.is_enrolled(device_id):
                path.unlink(missing_ok=True)
            else:
                _write_private(path, storage.create_token(device_id, ttl_s=TOKEN_TTL_S) + "\n")
        feed_token = db.parent / "feed-token"
        if not feed_token.exists():
            _write_private(feed_token, storage.create_consumer_token("demo") + "\n")
    finally:
        storage.close()
    return db


def demo_form_codes(root: Path, *, pdf_dir: Path | None = None) -> dict[str, str]:
    """A form code for every demo claim awaiting an envelope, by claim id, signed by the demo central's key.

    What the simulated camera shows the demo drop box; with ``pdf_dir`` also the printable
    forms, ``<pdf_dir>/<claim id>.pdf``.  Call after :func:`prepare_central`.
    """
    from sync.central.signing import AWAITING, issue_form_code
    from sync.central.storage import open_storage

    storage = open_storage(central_db(root))
    try:
        issued = [issue_form_code(storage, c["id"]) for c in CLAIMS if c.get("status") == AWAITING]
    finally:
        storage.close()
    if pdf_dir is not None:
        from sync.central.formpdf import render_form

        Path(pdf_dir).mkdir(parents=True, exist_ok=True)
        for form in issued:
            render_form(Path(pdf_dir) / f"{form.claim['id']}.pdf", form)
    return {form.claim["id"]: form.text for form in issued}


def demo_collection_code(root: Path, box_id: str, *, ttl_s: float = 3600.0) -> str:
    """A courier's collection code for the demo box ``box_id``, valid ``ttl_s`` seconds (call after prepare_central)."""
    from sync.central.signing import issue_collection_code
    from sync.central.storage import open_storage

    storage = open_storage(central_db(root))
    try:
        return issue_collection_code(storage, box_id, ttl_s=ttl_s).text
    finally:
        storage.close()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
