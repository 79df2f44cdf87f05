"""Checking a scanned code: anything the camera reads gets a verdict, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dropbox.checks import check_scan
from dropbox.settings import dropbox_values
from tests.helpers.dropbox_box import Central, open_box_store

SETTINGS = dropbox_values({})


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    central = Central()
    with open_box_store(tmp_path_factory.mktemp("checks") / "t.db") as store:
        central.sync_into(store)
        yield central, store


@settings(max_examples=150)
@given(payload=st.text(max_size=300))
@example(payload="")
@example(payload="RF1")
@example(payload="RF1." + "A" * 300)
@example(payload="RF1.CLM-1.E1.12850.20261130.AAAAAAAA.AAAA." + "A" * 103)
@example(payload="RC1.*.AAAAAAAAAA.99999999999.AAAAAAAA.AAAA." + "A" * 103)
@example(payload="RF1.ＣＬＭ.E1.１２.20261130.AAAAAAAA.AAAA." + "A" * 103)
@example(payload="\x00\udcff")
def test_any_text_gets_a_refusal_never_an_exception(synced, payload):
    _, store = synced
    verdict = check_scan(store.conn, payload, settings=SETTINGS, box_id="DBX-T-0001")
    assert verdict.kind == "refused" and verdict.reason and verdict.message


def test_a_form_read_with_a_scanner_newline_is_still_the_form(synced):
    central, store = synced
    verdict = check_scan(store.conn, central.form("CLM-2026-0001") + "\r\n", settings=SETTINGS, box_id="DBX-T-0001")
    assert verdict.kind == "form" and verdict.claim_id == "CLM-2026-0001"


def test_refusal_messages_carry_no_employee_number(synced):
    central, store = synced
    for claim in ("CLM-2026-0009", "CLM-2026-0010", "CLM-2026-0001"):
        payload = central.form(claim, amount_cents=1 if claim.endswith("1") else None)
        verdict = check_scan(store.conn, payload, settings=SETTINGS, box_id="DBX-T-0001")
        assert verdict.kind == "refused" and "E10" not in verdict.message
