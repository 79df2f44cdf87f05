"""Certificates end to end on the device side: data from the reference central over the signed channel,
one transaction per certificate, each kind rendered and checked offline (``terminal cert verify``) and
on central's page, tampering caught, offline named per kind.

The central is the real reference service (uvicorn on a free loopback port, SQLite); the kiosk is an
enrolled terminal store; events travel through the real forwarder.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.certificates import data, store as issuing
from kiosk.certificates.document import TemplateError, build, check_template
from kiosk.certificates.kinds import KINDS, UnknownKind, enabled_kinds
from kiosk.certificates.render import ensure_qt
from kiosk.certificates.verify import check_pdf, check_text, load_keys, store_keys
from sync import certcode
from sync.central.routes.certdata import DEMO_CERT_DATA, DEMO_TEMPLATES, put_certdata
from tests.central.conftest import RunningCentral
from tests.helpers.sync_helpers import write_config

DEVICE = "KSK-T-0001"
PEOPLE = [{"employee_no": "E1002", "id_number": "440303198808081231", "name": "欧阳测试", "department": "HR"},
          {"employee_no": "E1009", "id_number": "110105198001010016", "name": "离职乙", "department": "IT",
           "status": "left"}]


@pytest.fixture(scope="module")
def qt():
    return ensure_qt()


@pytest.fixture
def central(tmp_path):
    from sync.central.app import create_app
    from sync.central.reference import to_item
    from sync.central.storage import open_storage

    storage = open_storage(str(tmp_path / "central.db"))
    key = storage.deployment_key()
    storage.load_reference("directory", [to_item("directory", dict(p), deployment_key=key) for p in PEOPLE])
    storage.load_reference("templates", DEMO_TEMPLATES)
    put_certdata(storage, "E1002", DEMO_CERT_DATA["E1002"])
    put_certdata(storage, "E1009", DEMO_CERT_DATA["E1003"])
    running = RunningCentral(create_app(storage), storage)
    yield running
    running.stop()
    storage.close()


class Kiosk:
    """An enrolled kiosk store with the certificates tables, its config, and ways to pull and forward."""

    def __init__(self, cfg, store):
        self.cfg, self.store = cfg, store

    def pull(self) -> None:
        from sync.pull import Puller

        client = data.client_for(self.store, self.cfg.sync)
        try:
            Puller(self.store).pull_all(client)
        finally:
            client.close()

    def forward(self) -> None:
        from sync.forwarder import Forwarder

        assert Forwarder(self.store, self.cfg.sync, device_id=self.cfg.device_id).run(once=True) == 0

    def fetch(self, kind: str, employee_no: str = "E1002") -> data.CertData:
        client = data.client_for(self.store, self.cfg.sync)
        try:
            return data.fetch(client, kind, employee_no)
        finally:
            client.close()


@pytest.fixture
def kiosk(tmp_path, central, run_cli, qt):
    from kiosk.certificates.store import MIGRATIONS
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations
    from terminal.schema import load_config

    config = write_config(tmp_path / "kiosk", DEVICE)
    token = central.storage.create_token(DEVICE, ttl_s=600)
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url, f"--token={token}")
    assert code == 0, err
    cfg = load_config(config)
    store = open_store(store_path(cfg), all_migrations() + MIGRATIONS)
    k = Kiosk(cfg, store)
    k.config = config
    k.fetch("employment")          # central publishes the terminal's key with its first answer
    k.pull()
    yield k
    store.close()


def issue(kiosk: Kiosk, kind: str, lang: str = "zh", employee_no: str = "E1002") -> issuing.Issued:
    return issuing.issue(kiosk.store, kiosk.fetch(kind, employee_no), session_id=uuid.uuid4().hex, lang=lang)


def write(tmp_path: Path, made: issuing.Issued, name: str | None = None) -> Path:
    path = tmp_path / (name or f"{made.serial}.pdf")
    path.write_bytes(made.pdf)
    return path


def page_status(central, url: str) -> tuple[str, str]:
    """(headline, whole page) of central's verification page for the QR's URL."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return re.search(r"<h1>([^<]+)<small>", response.text).group(1), response.text


# -- each kind: rendered, checked offline and on the page -------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("lang", ["zh", "zh+en"])
def test_each_kind_renders_an_a4_pdf_with_a_cjk_subset_that_verifies_offline_and_on_the_page(
        kiosk, central, tmp_path, kind, lang, run_cli):
    made = issue(kiosk, kind, lang)
    path = write(tmp_path, made)
    assert made.pdf.startswith(b"%PDF-") and len(made.pdf) <= 300 * 1024
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "CID TrueType" in fonts and " yes " in fonts          # a CJK font embedded
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.2 x 841.68 pts" in info or "595.276 x 841.89 pts" in info or "(A4)" in info
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert KINDS[kind].title_zh in text and made.serial in text and "欧阳测试" in text
    assert (KINDS[kind].title_en in text) == (lang == "zh+en")

    kiosk.pull()                                                  # terminal_keys, as any terminal has them
    outcome = check_pdf(path, store_keys(kiosk.store.conn))
    assert (outcome.reason, outcome.code.serial, outcome.code.kind) == ("valid", made.serial, kind)
    code, out, _ = run_cli("cert", "verify", str(path), "--config", str(kiosk.config))
    assert code == 0 and out.startswith("valid:"), out

    kiosk.forward()
    headline, html = page_status(central, made.url)
    assert headline == "有效" and "欧阳**" in html and made.serial in html and "欧阳测试" not in html


def test_what_each_kind_prints_comes_from_central_at_request_time(kiosk, central):
    income = kiosk.fetch("income")
    assert income.data["monthly_salary_cents"] == 980000 and income.data["hired_on"] == "2019-03-01"
    social = kiosk.fetch("social_insurance")
    assert [c["item"] for c in social.data["contributions"]] == ["pension", "medical", "unemployment", "injury",
                                                                  "maternity", "housing_fund"]
    assert social.data["contributions"][0]["months"] == 92             # 2019-03 .. 2026-10
    assert "monthly_salary_cents" not in kiosk.fetch("employment").data  # each kind gets its own data only
    put_certdata(central.storage, "E1002", {**DEMO_CERT_DATA["E1002"], "monthly_salary_cents": 1000000})
    assert kiosk.fetch("income").data["monthly_salary_cents"] == 1000000   # no cache in between


def test_income_data_never_reaches_the_device_store(kiosk):
    made = issue(kiosk, "income")
    kiosk.store.conn.commit()
    raw = Path(kiosk.store.path).read_bytes() + b"".join(
        p.read_bytes() for p in Path(kiosk.store.path).parent.glob("*-wal"))
    for secret in ("9,800.00", "980000", "12,740.00", "12740000"):
        assert secret.encode() not in raw
    assert made.serial.encode() in raw                   # the record is there, its data is not


# -- serials, the transaction, reprints -------------------------------------------------------------

def test_serials_are_unique_and_each_certificate_is_one_commit_with_its_event(kiosk):
    made = [issue(kiosk, kind) for kind in ("employment", "income", "employment")]
    assert [m.serial for m in made] == [f"{DEVICE}-000001", f"{DEVICE}-000002", f"{DEVICE}-000003"]
    events = [json.loads(p) for (t, p) in kiosk.store.conn.execute(
        "SELECT type, payload FROM sync_outbox WHERE type = 'certificate.issued' ORDER BY seq")]
    assert [e["serial"] for e in events] == [m.serial for m in made]
    assert events[1]["holder"] == "欧阳**" and "name" not in events[1] and events[1]["code"] == made[1].code


def test_a_failed_draw_records_nothing_and_gives_the_serial_back(kiosk, monkeypatch):
    from kiosk.certificates import render

    def broken(*args, **kwargs):
        raise render.RenderFailed("no font")

    monkeypatch.setattr(issuing, "render_pdf", broken)
    with pytest.raises(render.RenderFailed):
        issue(kiosk, "employment")
    monkeypatch.undo()
    assert kiosk.store.conn.execute("SELECT COUNT(*) FROM cert_issued").fetchone()[0] == 0
    assert kiosk.store.conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE type = 'certificate.issued'"
                                    ).fetchone()[0] == 0
    assert issue(kiosk, "employment").serial == f"{DEVICE}-000001"


def test_a_rebuilt_store_continues_above_the_serials_central_has_seen(kiosk):
    first = issue(kiosk, "employment")
    kiosk.forward()
    kiosk.store.conn.execute("DELETE FROM cert_issued")     # as a store rebuilt from nothing
    assert kiosk.fetch("employment").serial_floor == 1
    assert issue(kiosk, "employment").serial == f"{DEVICE}-000002" != first.serial


def test_a_reprint_draws_the_same_serial_and_code_without_a_new_event(kiosk, central):
    made = issue(kiosk, "income", "zh+en")
    again = issuing.reprint(kiosk.store, made.serial, kiosk.fetch("income"))
    assert (again.serial, again.code, again.text_hash) == (made.serial, made.code, made.text_hash)
    assert kiosk.store.conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE type = 'certificate.issued'"
                                    ).fetchone()[0] == 1
    assert issuing.printed(kiosk.store, made.serial, "s1") == 1
    put_certdata(central.storage, "E1002", {**DEMO_CERT_DATA["E1002"], "monthly_salary_cents": 1}) 
    with pytest.raises(issuing.CertificateRefused, match="changed at central"):
        issuing.reprint(kiosk.store, made.serial, kiosk.fetch("income"))


# -- tampering, keys, fields -------------------------------------------------------------------------

def test_a_pdf_whose_text_was_changed_is_caught_by_cert_verify(kiosk, tmp_path, run_cli):
    """The forger's way: the same page made again with a higher salary, the genuine QR copied onto it."""
    from kiosk.certificates.render import render_pdf, seal_image
    from kiosk.certificates.store import template_for

    answer = kiosk.fetch("income")
    made = issuing.issue(kiosk.store, answer, session_id="s1")
    template = template_for(kiosk.store.conn, "income")
    richer = {**answer.data, "monthly_salary_cents": 1980000}
    doc = build(template, richer, lang="zh", serial=made.serial, issued_on=made.issued_on, terminal=DEVICE)
    pdf, _ = render_pdf(doc, made.url, seal_image(template, doc.company[0]))
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(tampered), "-"], capture_output=True, text=True).stdout
    assert "19,800.00" in text and " 9,800.00" not in text              # the edit shows to a reader
    kiosk.pull()
    code, out, _ = run_cli("cert", "verify", str(tampered), "--config", str(kiosk.config))
    assert code == 1 and out.startswith("NOT VALID: text_changed:"), out
    code, out, _ = run_cli("cert", "verify", str(write(tmp_path, made)), "--config", str(kiosk.config))
    assert code == 0, out                                               # the genuine one still passes


def test_a_payload_signed_by_an_unknown_key_is_not_ours(kiosk, tmp_path, run_cli):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    made = issue(kiosk, "employment")
    forger = Ed25519PrivateKey.generate()
    forged = certcode.make_code("employment", made.issued_on, "KSK-EVIL-0001-000001", made.text_hash,
                                lambda m: base64.b64encode(forger.sign(m)).decode())
    kiosk.pull()
    code, out, _ = run_cli("cert", "verify", forged, "--config", str(kiosk.config))
    assert code == 3 and "unknown_key" in out
    # The same device id with someone else's key: forged, not a changed field.
    posing = certcode.make_code("employment", made.issued_on, made.serial, made.text_hash,
                                lambda m: base64.b64encode(forger.sign(m)).decode())
    assert check_text(posing, store_keys(kiosk.store.conn)).reason == certcode.FORGED


def _field(url: str, index: int, change) -> str:
    """``url`` with field ``index`` of its code (0 = CV1) replaced by ``change(field)``."""
    base, code = url.rsplit("/verify/", 1)
    parts = code.split(".")
    parts[index] = change(parts[index])
    return base + "/verify/" + ".".join(parts)


def _day_before(day: str) -> str:
    import datetime

    return (datetime.datetime.strptime(day, "%Y%m%d") - datetime.timedelta(days=1)).strftime("%Y%m%d")


@pytest.mark.parametrize("field, change", [
    ("kind", lambda url: _field(url, 1, lambda _: "I")),
    ("date", lambda url: _field(url, 2, _day_before)),
    ("serial", lambda url: _field(url, 3, lambda s: s[:-1] + "2")),
    ("text hash", lambda url: _field(url, 4, lambda h: ("B" if h[0] == "A" else "A") + h[1:])),
])
def test_a_changed_field_is_caught(kiosk, run_cli, field, change):
    made = issue(kiosk, "employment")
    kiosk.pull()
    changed = change(made.url)
    assert changed != made.url
    code, out, _ = run_cli("cert", "verify", changed, "--config", str(kiosk.config), "--json")
    assert code == 1 and json.loads(out)["reason"] == certcode.CHANGED_FIELD, (field, out)


def test_verify_with_a_keys_file_from_central_needs_no_terminal(kiosk, central, tmp_path, run_cli):
    made = issue(kiosk, "social_insurance", "zh+en")
    path = write(tmp_path, made)
    keys = tmp_path / "keys.json"
    keys.write_text(requests.get(central.url + "/verify/keys.json", timeout=10).text)
    assert load_keys(keys)[DEVICE]
    code, out, _ = run_cli("cert", "verify", str(path), "--keys", str(keys), "--json")
    assert code == 0 and json.loads(out)["serial"] == made.serial


@pytest.mark.parametrize("argv, words", [
    (["cert", "verify", "nothing.pdf", "--keys", "KEYS"], "no such file"),
    (["cert", "verify", "NOTAPDF", "--keys", "KEYS"], "not a PDF file"),
    (["cert", "verify", "BLANKPDF", "--keys", "KEYS"], "no certificate QR code"),
    (["cert", "verify", "CV1.E.x"], "no keys: give --keys FILE"),
    (["cert", "verify", "CV1.E.x", "--keys", "NOTJSON"], "not JSON"),
])
def test_what_cannot_be_checked_is_exit_2_with_one_line(tmp_path, run_cli, monkeypatch, argv, words, qt):
    from PIL import Image

    monkeypatch.delenv("TERMINAL_CONFIG", raising=False)
    (tmp_path / "keys.json").write_text(json.dumps({"keys": [{"device_id": "K", "public_key": "AAAA"}]}))
    (tmp_path / "not.pdf").write_text("hello")
    Image.new("RGB", (200, 280), "white").save(tmp_path / "blank.pdf", "PDF")
    (tmp_path / "bad.json").write_text("{nope")
    names = {"KEYS": "keys.json", "NOTAPDF": "not.pdf", "BLANKPDF": "blank.pdf", "NOTJSON": "bad.json"}
    argv = [str(tmp_path / names[a]) if a in names else a for a in argv]
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(*argv)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("text", ["", "hello", "CV1.E.20261130", "CV9.E.x.y", "CV1." + "A" * 300,
                                  "http://x/verify/CV1.E.20261340.K-000001." + "A" * 24 + ".AAAA." + "A" * 103,
                                  "CV1.Q.20261130.K-000001." + "A" * 24 + ".AAAA." + "A" * 103, "在职证明"])
def test_text_that_is_no_code_is_refused_by_reason(text):
    outcome = check_text(text, {"K": ["AAAA"]})
    assert outcome.reason in (certcode.MALFORMED, certcode.UNKNOWN_VERSION) and outcome.exit_code == 1


# -- offline, configuration, templates --------------------------------------------------------------

def test_offline_says_which_certificates_are_unavailable_and_why(kiosk, central):
    central.stop()
    with pytest.raises(data.CertificatesUnavailable) as caught:
        kiosk.fetch("income")
    assert caught.value.reasons == {"income": data.OFFLINE}
    assert "income (central is unreachable)" in str(caught.value)


def test_no_data_and_a_person_who_left_are_named(kiosk):
    for employee_no in ("E4040", "E1009"):
        with pytest.raises(data.CertificatesUnavailable) as caught:
            kiosk.fetch("employment", employee_no)
        assert caught.value.reasons == {"employment": data.NO_DATA}


def test_the_kinds_offered_come_from_central_config():
    assert [k.name for k in enabled_kinds(None)] == ["employment", "income", "social_insurance"]
    assert [k.name for k in enabled_kinds({"certificates": ["social_insurance"]})] == ["social_insurance"]
    with pytest.raises(UnknownKind, match="payslip"):
        enabled_kinds({"certificates": ["payslip"]})


@pytest.mark.parametrize("change, words", [
    ({"body": "兹证明{name.__class__}"}, "needs a non-empty"),      # not a placeholder: left as text
    ({"body": "{salary}"}, "names salary"),
    ({"title": ""}, "needs a non-empty text 'title'"),
    ({"certificate_kind": "payslip"}, "unknown certificate kind"),
    ({"rows": [["姓名", "Name"]]}, "each row must be"),
])
def test_a_bad_template_from_central_is_refused_by_name(change, words):
    template = {**DEMO_TEMPLATES[0], **change}
    if "__class__" in str(change):
        check_template(template)                      # braces that are no placeholder are plain text
        doc = build(template, {"name": "欧阳测试"}, lang="zh", serial="K-000001", issued_on="2026-11-30",
                    terminal="K")
        assert doc.paragraphs == ["兹证明{name.__class__}"]
        return
    with pytest.raises((TemplateError, UnknownKind), match=words):
        check_template(template)
