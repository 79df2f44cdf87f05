"""Translations: every string a person can see has a finished translation in Chinese and English.

The message ids are the flow's keys (kiosk.messages.MESSAGE_KEYS), the ".next" line of every screen
that shows one, and every id the QML names literally (qsTrId("ui.finish")).  A missing, empty or
unfinished translation fails here; the screens test then also sees the id itself on screen.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kiosk.messages import FALLBACKS, MESSAGE_KEYS, SCREENS, SERVICES
from ui import i18n
from ui.bridge import PAGES

QML = Path(i18n.__file__).resolve().parent / "qml"
# Pages that show a second line (what to do next) under the flow's message.
WITH_NEXT = {"Attract", "Busy", "Message", "CodeEntry", "FaceCapture", "IdleWarning", "Preview", "Choice", "Payment",
             "Rating"}


def _messages(lang: str) -> dict[str, ET.Element]:
    root = ET.parse(i18n.ts_path(lang)).getroot()
    return {m.get("id"): m for m in root.iter("message")}


def _qml_ids() -> set[str]:
    ids = set()
    for path in QML.rglob("*.qml"):
        ids |= set(re.findall(r'qsTrId\("([a-z0-9_.]+)"\)', path.read_text()))
        ids |= set(re.findall(r'root\.tr\("([a-z0-9_.]+)"', path.read_text()))
    return ids


def needed_ids() -> set[str]:
    """Every message id the screens can look up."""
    ids = set(MESSAGE_KEYS) | _qml_ids()
    ids |= {f"{k}.next" for k in MESSAGE_KEYS if k.split(".")[0] in SCREENS and PAGES[k.split(".")[0]] in WITH_NEXT}
    ids |= {t for _, t in SERVICES} | {f"fallback.{f}" for f in FALLBACKS}
    ids |= {"record.kind.verification", "record.status.verified"}   # the flow's own history rows
    # central's records (sync/central/records.py): the event types that are an employee's transactions
    ids |= {f"record.kind.{k}" for k in ("kiosk.verified", "kiosk.verification_failed", "kiosk.locked",
                                         "certificate.issued", "certificate.printed", "badge.printed",
                                         "payment.order_created", "payment.paid", "payment.cancelled",
                                         "payment.refund_requested")}
    ids |= {f"record.status.{s}" for s in ("issued", "printed", "created", "paid", "cancelled", "timed_out",
                                          "abandoned", "refund_requested", "locked")}
    return ids


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_visible_string_has_a_finished_translation(lang):
    messages = _messages(lang)
    missing = sorted(needed_ids() - set(messages))
    assert missing == [], f"no {lang} translation for {missing}"
    unfinished = sorted(i for i, m in messages.items()
                        if m.find("translation").get("type") in ("unfinished", "obsolete", "vanished")
                        or not (m.find("translation").text or "").strip())
    assert unfinished == []


def test_zh_is_chinese_and_placeholders_agree():
    zh, en = _messages("zh"), _messages("en")
    assert set(zh) == set(en)
    for mid in zh:
        z, e = zh[mid].find("translation").text, en[mid].find("translation").text
        assert sorted(re.findall(r"%\d", z)) == sorted(re.findall(r"%\d", e)), mid
        if not mid.startswith("ui.lang."):
            assert re.search(r"[\u4e00-\u9fff]", z), f"{mid}: {z!r} is not Chinese"
            assert not re.search(r"[\u4e00-\u9fff]", e), f"{mid}: {e!r} is not English"


def test_no_literal_text_in_the_views():
    literal = []
    for path in QML.rglob("*.qml"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r'\b(text|label):\s*"[^"]*[A-Za-z\u4e00-\u9fff]', line):
                literal.append(f"{path.name}:{n}: {line.strip()}")
    assert literal == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lrelease_compiles_every_message_finished(lang, tmp_path):
    done = subprocess.run([i18n.lrelease(), str(i18n.ts_path(lang)), "-qm", str(tmp_path / "x.qm")],
                          capture_output=True, text=True)
    assert done.returncode == 0
    count = len(_messages(lang))
    assert f"Generated {count} translation(s) ({count} finished and 0 unfinished)" in done.stdout


def test_a_changed_source_gets_a_new_compiled_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = i18n.compiled("zh")
    assert first.parent == tmp_path / "service-terminals" / "qm" and first.stat().st_size > 1000
    assert i18n.compiled("zh") == first                       # reused while the source is unchanged
    source = tmp_path / "kiosk_zh_CN.ts"
    source.write_text(i18n.ts_path("zh").read_text().replace("人事自助服务", "人事自助服务台"))
    monkeypatch.setattr(i18n, "TS_DIR", tmp_path)
    assert i18n.compiled("zh") != first


def test_a_broken_source_is_named_not_a_traceback(tmp_path, monkeypatch):
    from terminal import TerminalError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "kiosk_zh_CN.ts").write_text("<TS><context><message id='x'>")
    monkeypatch.setattr(i18n, "TS_DIR", tmp_path)
    with pytest.raises(TerminalError, match="could not compile kiosk_zh_CN.ts"):
        i18n.compiled("zh")
