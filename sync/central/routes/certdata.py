"""``GET /v1/certdata/{employee_no}?kind=K``: the data one certificate needs, to a signed terminal, at request time.

The kiosk fetches it while the employee waits and holds it in memory only
(income is never cached on a device).  Answers::

    200 {"employee_no", "kind", "as_of": "YYYY-MM-DD" (central's date), "serial_floor": N,
         "data": {name, name_en?, employee_no, department, title, hired_on, ...the kind's own fields}}
        Cache-Control: no-store
    400 bad_request       not an employee number, or an unknown kind
    404 no_data           central holds no certificate data for that employee (or has left)
    429 rate_limited      more than CERTDATA_LIMIT answers to one terminal in an hour (Retry-After)

``serial_floor`` is the highest serial number central has seen from this
terminal (certificate.issued events), so a terminal whose store was rebuilt
never reuses a serial.  The HR data lives in central's table ``cert_data``
(:func:`put_certdata`); names and departments come from the directory.

Central also publishes every enrolled terminal's public key in the
``terminal_keys`` reference dataset (:func:`publish_terminal_keys`), so any
terminal can check a certificate code offline.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from sync.central.routes.common import DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response, json_response
from sync.central.storage import Replayed
from terminal import TerminalError
from terminal.logs import get_logger
from sync.central.tables import schema_once

log = get_logger(__name__)

EMPLOYEE_NO_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
KIND_NAMES = ("employment", "income", "social_insurance")
CERTDATA_LIMIT = (3600, 300)          # (window seconds, answers one terminal may get in it)
TIMEZONE = ZoneInfo("Asia/Shanghai")  # the issue date printed is the company's date, not a Pi's

_DDL = [
    """CREATE TABLE IF NOT EXISTS cert_data (
        employee_no TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS certdata_fetches (device_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS certdata_fetches_by_device ON certdata_fetches (device_id, at)",
]


class CertDataRefused(TerminalError):
    """Certificate data central will not store (no employee number, not a JSON object)."""

    exit_code = 2


# Create the certificate data tables (idempotent; once per storage object).
ensure_schema = schema_once(_DDL)


def put_certdata(storage, employee_no: str, data: dict, *, now: float | None = None) -> None:
    """Store (or replace) ``employee_no``'s HR data: hired_on, title, salaries, contributions (a dict).

    Raises :class:`CertDataRefused` for an employee number that is not 1-32 of [A-Za-z0-9_-]
    or data that is not a dict.
    """
    if not isinstance(employee_no, str) or not EMPLOYEE_NO_RE.fullmatch(employee_no):
        raise CertDataRefused(f"employee number {str(employee_no)[:40]!r}: give 1-32 ASCII letters, digits, _ or -")
    if not isinstance(data, dict):
        raise CertDataRefused(f"certificate data for {employee_no} must be a JSON object")
    ensure_schema(storage)
    q = storage.engine.sql
    with storage.engine.transaction() as c:
        c.execute(q("INSERT INTO cert_data (employee_no, data, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (employee_no) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"),
                  (employee_no, json.dumps(data, ensure_ascii=False), storage.now() if now is None else now))


def certificate_data(storage, employee_no: str, kind: str) -> dict | None:
    """The data a ``kind`` certificate of ``employee_no`` prints (directory fields + HR data), or None."""
    person = storage.reference_item("directory", employee_no)
    if person is None or person.get("status") == "left":
        return None
    ensure_schema(storage)
    with storage.engine.connection() as c:
        row = c.execute(storage.engine.sql("SELECT data FROM cert_data WHERE employee_no = ?"),
                        (employee_no,)).fetchone()
    if row is None:
        return None
    hr = json.loads(row[0])
    data = {k: person[k] for k in ("name", "name_en", "department", "department_en") if person.get(k)}
    data["employee_no"] = employee_no
    for key in ("title", "title_en", "hired_on"):
        if key in hr:
            data[key] = hr[key]
    if kind == "income":
        for key in ("monthly_salary_cents", "annual_income_cents", "income_months"):
            if key in hr:
                data[key] = hr[key]
    elif kind == "social_insurance":
        for key in ("city", "city_en", "contributions"):
            if key in hr:
                data[key] = hr[key]
    return data


def serial_floor(storage, device_id: str) -> int:
    """The highest serial number in the certificate.issued events central holds from ``device_id`` (0: none)."""
    prefix = device_id + "-"
    with storage.engine.connection() as c:
        rows = c.execute(storage.engine.sql("SELECT payload FROM events WHERE device_id = ? AND type = ?"),
                         (device_id, "certificate.issued")).fetchall()
    highest = 0
    for (payload,) in rows:
        serial = str(json.loads(payload).get("serial", ""))
        tail = serial[len(prefix):] if serial.startswith(prefix) else ""
        if tail.isascii() and tail.isdigit():
            highest = max(highest, int(tail))
    return highest


def publish_terminal_keys(storage) -> dict:
    """Rewrite ``terminal_keys`` from the enrolled terminals' public keys (unchanged items keep their version).

    Each item is ``{"id": "<device_id>/<key id>", "device_id", "public_key", "kind": "ed25519"}``;
    a terminal that re-enrolled with a new key keeps its old one listed, so certificates it
    signed before stay checkable.  Returns load_reference's counts.
    """
    from sync.codes import key_id

    items = {i["id"]: i for i in _current_keys(storage)}
    for device in storage.terminals():
        public = device.get("public_key")
        if public:
            item_id = f"{device['device_id']}/{key_id(public)}"
            items[item_id] = {"id": item_id, "device_id": device["device_id"], "public_key": public,
                              "kind": "ed25519"}
    return storage.load_reference("terminal_keys", sorted(items.values(), key=lambda i: i["id"]))


def _current_keys(storage) -> list[dict]:
    with storage.engine.connection() as c:
        rows = c.execute(storage.engine.sql("SELECT data FROM ref_items WHERE dataset = ? AND deleted = 0"),
                         ("terminal_keys",)).fetchall()
    return [json.loads(r[0]) for r in rows]


def today(now: float) -> str:
    """Central's date (Asia/Shanghai) at unix time ``now``, ``YYYY-MM-DD``."""
    return datetime.datetime.fromtimestamp(now, TIMEZONE).date().isoformat()


def mount(app: FastAPI) -> None:
    """Add ``GET /v1/certdata/{employee_no}`` to ``app``."""
    app.add_api_route("/v1/certdata/{employee_no}", certdata, methods=["GET"],
                      summary="The data one certificate needs, at request time (never cached on a terminal)",
                      openapi_extra=SIGNED,
                      responses={200: {"description": "{employee_no, kind, as_of, serial_floor, data}"},
                                 400: {"description": "bad_request: not an employee number or kind"},
                                 404: {"description": "no_data"},
                                 429: {"description": "rate_limited: too many answers to this terminal"},
                                 **DEVICE_ERRORS})


async def certdata(request: Request, employee_no: str,
                   kind: str = Query(..., description="employment | income | social_insurance")) -> Response:
    """The data of a ``kind`` certificate for ``employee_no`` (see the module docstring for every answer)."""
    central = CentralState.of(request)
    return await central.signed(request, functools.partial(_certdata, central, employee_no, kind), method="GET")


def _certdata(central: CentralState, employee_no: str, kind: str, call: SignedCall) -> Response:
    """Use the nonce, count the answer against the terminal's budget, answer the data; in a thread."""
    if not EMPLOYEE_NO_RE.fullmatch(employee_no) or kind not in KIND_NAMES:
        return error_response(400, "bad_request", f"give an employee number (1-32 of [A-Za-z0-9_-]) and a kind: "
                                                  f"{', '.join(KIND_NAMES)}")
    storage, now = central.storage, central.now()
    try:
        storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    try:
        refusal = _count(storage, call.device_id, now)
        data = None if refusal else certificate_data(storage, employee_no, kind)
        floor = serial_floor(storage, call.device_id)
        publish_terminal_keys(storage)     # this terminal's key is listed before its first certificate exists
    except Exception as exc:
        return central.storage_failed(exc, call.device_id, reading=True)
    if refusal is not None:
        log.warning("central.certdata_rate_limited", device_id=call.device_id)
        return refusal
    if data is None:
        return error_response(404, "no_data", f"central holds no certificate data for employee {employee_no}")
    log.info("central.certdata_served", device_id=call.device_id, employee_no=employee_no, kind=kind)
    return json_response(200, {"employee_no": employee_no, "kind": kind, "as_of": today(now),
                               "serial_floor": floor, "data": data}, {"Cache-Control": "no-store"})


def _count(storage, device_id: str, now: float) -> Response | None:
    """Record one answer to ``device_id``; a 429 when its hourly budget is spent (then nothing is recorded)."""
    ensure_schema(storage)
    q = storage.engine.sql
    window_s, allowed = CERTDATA_LIMIT
    with storage.engine.transaction() as c:
        c.execute(q("DELETE FROM certdata_fetches WHERE at < ?"), (now - window_s,))
        times = [r[0] for r in c.execute(q("SELECT at FROM certdata_fetches WHERE device_id = ? ORDER BY at"),
                                         (device_id,)).fetchall()]
        if len(times) >= allowed:
            wait = max(1, math.ceil(times[-allowed] + window_s - now))
            return error_response(429, "rate_limited", f"at most {allowed} certificate answers to one terminal "
                                  f"per hour; try again in {wait} s", retry_after=wait)
        c.execute(q("INSERT INTO certdata_fetches (device_id, at) VALUES (?, ?)"), (device_id, now))
    return None


# -- the demo's data and templates (sync/central/demo.py seeds them) --------------------------------

_FIVE = [("pension", "养老保险", "Pension"), ("medical", "医疗保险", "Medical insurance"),
         ("unemployment", "失业保险", "Unemployment insurance"), ("injury", "工伤保险", "Work injury insurance"),
         ("maternity", "生育保险", "Maternity insurance"), ("housing_fund", "住房公积金", "Housing fund")]


def _contributions(start: str, end: str, base_cents: int) -> list[dict]:
    y0, m0, y1, m1 = int(start[:4]), int(start[5:]), int(end[:4]), int(end[5:])
    months = (y1 - y0) * 12 + m1 - m0 + 1
    return [{"item": item, "from": start, "to": end, "months": months, "base_cents": base_cents}
            for item, _, _ in _FIVE]


DEMO_CERT_DATA = {
    "E1001": {"title": "会计", "title_en": "Accountant", "hired_on": "2015-07-01", "monthly_salary_cents": 1285000,
              "annual_income_cents": 16705000, "income_months": 12, "city": "上海", "city_en": "Shanghai",
              "contributions": _contributions("2015-07", "2026-10", 1285000)},
    "E1002": {"title": "人事专员", "title_en": "HR Specialist", "hired_on": "2019-03-01",
              "monthly_salary_cents": 980000, "annual_income_cents": 12740000, "income_months": 12,
              "city": "上海", "city_en": "Shanghai", "contributions": _contributions("2019-03", "2026-10", 980000)},
    "E1003": {"title": "工程师", "title_en": "Engineer", "hired_on": "2021-09-15", "monthly_salary_cents": 2150000,
              "annual_income_cents": 27950000, "income_months": 12, "city": "上海", "city_en": "Shanghai",
              "contributions": _contributions("2021-10", "2026-10", 2150000)},
    "E1004": {"title": "法务顾问", "title_en": "Legal Counsel", "hired_on": "2023-01-03",
              "monthly_salary_cents": 2600000, "annual_income_cents": 33800000, "income_months": 12,
              "city": "上海", "city_en": "Shanghai", "contributions": _contributions("2023-01", "2026-10", 2600000)},
    "E1005": {"title": "运营经理", "title_en": "Operations Manager", "hired_on": "2024-06-17",
              "monthly_salary_cents": 1830000, "annual_income_cents": 23790000, "income_months": 12,
              "city": "上海", "city_en": "Shanghai", "contributions": _contributions("2024-07", "2026-10", 1830000)},
}

_COMPANY = {"company": "示例科技（上海）有限公司", "company_en": "Example Technology (Shanghai) Co., Ltd. (demo)"}
_NOTE = {"note": "本证明由自助服务终端开具，扫描二维码或使用 terminal cert verify 可核验真伪。",
         "note_en": "Issued by a self-service terminal; scan the QR code or run 'terminal cert verify' to check it."}
_ROWS = [["姓名", "Name", "name"], ["员工编号", "Employee no.", "employee_no"], ["部门", "Department", "department"],
         ["职务", "Position", "title"], ["入职日期", "Hire date", "hired_on"]]

DEMO_TEMPLATES = [
    {"id": "employment-certificate", "kind": "certificate", "certificate_kind": "employment", "version": 2,
     **_COMPANY, **_NOTE, "title": "在职证明", "title_en": "Certificate of Employment",
     "body": "兹证明{name}（员工编号：{employee_no}）自{hired_on}起在我公司{department}任职，现任{title}，"
             "目前在职。",
     "body_en": "This is to certify that {name} (employee no. {employee_no}) has been employed by the company "
                "in {department} since {hired_on}, currently as {title}.",
     "closing": "特此证明。", "closing_en": "This certificate is issued at the employee's request.",
     "rows": _ROWS},
    {"id": "income-certificate", "kind": "certificate", "certificate_kind": "income", "version": 2,
     **_COMPANY, **_NOTE, "title": "收入证明", "title_en": "Certificate of Income",
     "body": "兹证明{name}（员工编号：{employee_no}）自{hired_on}起在我公司{department}任职，现任{title}。"
             "其月收入为{monthly_salary_cents}，近{income_months}个月收入合计{annual_income_cents}（税前）。",
     "body_en": "This is to certify that {name} (employee no. {employee_no}) has worked in {department} since "
                "{hired_on} as {title}, with a monthly income of {monthly_salary_cents} and a total of "
                "{annual_income_cents} over the last {income_months} months (before tax).",
     "closing": "特此证明。", "closing_en": "This certificate is issued at the employee's request.",
     "rows": _ROWS[:3] + [["月收入（税前）", "Monthly income", "monthly_salary_cents"],
                          ["近12个月收入", "Last 12 months", "annual_income_cents"]]},
    {"id": "social-insurance-certificate", "kind": "certificate", "certificate_kind": "social_insurance",
     "version": 1, **_COMPANY, **_NOTE, "title": "五险一金缴纳证明",
     "title_en": "Certificate of Social Insurance and Housing Fund Payments",
     "body": "兹证明{name}（员工编号：{employee_no}）自{hired_on}起在我公司任职，我公司在{city}为其缴纳社会保险"
             "（养老、医疗、失业、工伤、生育）及住房公积金，缴纳情况如下：",
     "body_en": "This is to certify that the company has paid social insurance (pension, medical, unemployment, "
                "work injury, maternity) and the housing fund in {city} for {name} (employee no. {employee_no}), "
                "employed since {hired_on}, as follows:",
     "closing": "特此证明。", "closing_en": "This certificate is issued at the employee's request.",
     "items": {item: [zh, en] for item, zh, en in _FIVE}},
]


def seed_demo_certdata(storage) -> int:
    """Store the demo employees' certificate data (idempotent); return how many records were written."""
    for employee_no, data in DEMO_CERT_DATA.items():
        put_certdata(storage, employee_no, data)
    return len(DEMO_CERT_DATA)
