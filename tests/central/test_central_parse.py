"""The request parser never fails in a way central cannot answer: fuzzed with hypothesis."""

from __future__ import annotations

import gzip
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sync.central.client import batch_body, make_event
from sync.central.ingest import BatchError, IngestBatch, decode_body, parse_batch

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)

event_like = st.fixed_dictionaries({}, optional={
    "seq": st.integers(min_value=-3, max_value=2 ** 64) | st.text(max_size=3),
    "key": st.text(max_size=5) | st.integers(), "type": st.sampled_from(["sync.diagnostic", "x.y"]) | st.none(),
    "schema": st.integers(min_value=-1, max_value=3) | st.booleans(), "priority": st.integers(-5, 120),
    "payload": json_values, "wall_time": json_values, "mono_ns": st.integers() | st.floats(allow_nan=False, allow_infinity=False),
    "boot_id": st.text(max_size=3), "clock_synced": json_values})


def _batch(events) -> bytes:
    doc = json.loads(batch_body("D1", []))
    doc["events"] = events
    return json.dumps(doc).encode()


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_body_is_parsed_or_refused_cleanly(value):
    try:
        assert isinstance(parse_batch(json.dumps(value).encode(), "D1"), IngestBatch)
    except BatchError as exc:
        assert exc.status in (400, 413) and exc.detail


@settings(max_examples=150, deadline=None)
@given(st.lists(event_like, max_size=5))
def test_any_event_list_is_parsed_or_refused_cleanly(events):
    try:
        batch = parse_batch(_batch(events), "D1")
    except BatchError as exc:
        assert exc.code == "bad_batch" and exc.detail
        return
    for event in batch.events:
        assert event.problem or (event.key and event.payload_hash and event.type == "sync.diagnostic")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_as_gzip_are_refused_cleanly(raw):
    try:
        parse_batch(decode_body(raw, "gzip"), "D1")
    except BatchError as exc:
        assert exc.code in ("malformed_gzip", "malformed_json", "bad_batch")


def test_payload_hash_ignores_key_order_and_whitespace():
    a = make_event(1, payload={"n": 1, "b": [1, 2]})
    b = dict(a, payload={"b": [1, 2], "n": 1})
    one = parse_batch(decode_body(gzip.compress(_batch([a])), "gzip"), "D1").events[0]
    two = parse_batch(_batch([b]).replace(b":", b": "), "D1").events[0]
    assert one.payload_hash == two.payload_hash


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=25))
@example("²")
@example("１２")
@example("١٢")
@example(" 5")
@example("+5")
@example("5_0")
@example("9" * 20)
def test_any_query_number_is_ascii_digits_in_range_or_a_400_naming_it(text):
    from sync.central.inputs import BadInput, query_int

    try:
        value = query_int("after", text)
    except BadInput as exc:
        assert exc.status == 400 and "after" in exc.detail
        return
    assert text.isascii() and text.isdigit() and str(value) == text.lstrip("0").rjust(1, "0")
    assert 0 <= value < 2 ** 63


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["X-Device-Id", "X-Timestamp", "X-Nonce", "X-Signature"]),
                       st.text(max_size=70), max_size=4))
@example({"X-Device-Id": "DEV5\n", "X-Timestamp": "1700000000", "X-Nonce": "a" * 16, "X-Signature": "0" * 64})
@example({"X-Device-Id": "DEV5", "X-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-Nonce": "a" * 16, "X-Signature": "0" * 64})
def test_any_auth_headers_are_read_or_refused_with_a_401_code(headers):
    from sync import wire
    from sync.central.auth import AuthFailure, is_device_id, read_device_headers

    try:
        checked = read_device_headers(headers, now=1700000000.0)
    except AuthFailure as exc:
        assert exc.code in (wire.ERR_BAD_SIGNATURE, wire.ERR_UNKNOWN_DEVICE, wire.ERR_CLOCK_SKEW) and exc.detail
        return
    assert is_device_id(checked.device_id) and checked.timestamp == int(headers["X-Timestamp"])
