"""The kiosk killed (-9) between payment and print, and at its other moments: a real child process runs the
badge steps against the reference central and stops at a named point; the test kills it, reconciles as
a restarted kiosk would, and checks that the order ended printed once or refunded -- never lost, never
charged twice (central's own order states say so)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid

import pytest

from kiosk.badges import service, store as journal
from sync.central import orders
from tests.test_badges import central, charged, kiosk  # noqa: F401  (fixtures)

CHILD = textwrap.dedent("""
    import sys
    from kiosk.badges import central, service, store as journal
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations
    from terminal.schema import load_config

    config, stop_at = sys.argv[1], sys.argv[2]
    cfg = load_config(config)
    store = open_store(store_path(cfg), all_migrations())
    client = central.client_for(store, cfg.sync)
    job = service.start(store, client, session_id="child", employee_no="E1001", reason="lost")
    print("awaiting_payment", job.request_id, job.order_id, flush=True)
    if stop_at != "awaiting_payment":
        sys.stdin.readline()                    # the test plays the payer, then says go on
        job = service.poll(store, client, job.request_id, waited_s=1)
        assert job.state == "paid", job.state
        if stop_at == "printing":
            journal.printing(store, job.request_id)
        print(stop_at, flush=True)
    sys.stdin.readline()                        # killed here
""")


@pytest.mark.parametrize("stop_at, pay_after_kill, ends", [
    ("paid", False, ("refund_requested", "refunded")),               # between payment and print
    ("printing", False, ("refund_requested", "refunded")),           # a card may have come out: inactive
    ("awaiting_payment", False, ("cancelled", "cancelled")),         # the QR showed; nobody paid
    ("awaiting_payment", True, ("refund_requested", "refunded")),    # paid on the phone after the kill
])
def test_kill_9_then_restart_prints_once_or_refunds_and_never_charges_twice(kiosk, central, stop_at,
                                                                           pay_after_kill, ends):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(kiosk_config(kiosk)), stop_at], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        _, request_id, order_id = child.stdout.readline().split()
        if stop_at != "awaiting_payment":
            orders.pay(central.storage, order_id)
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == stop_at
        assert journal.job(kiosk.store.conn, request_id).state == stop_at    # journalled before the kill
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    if pay_after_kill:
        orders.pay(central.storage, order_id)

    client = service_client(kiosk)
    closed = service.reconcile(kiosk.store, client)                       # the restarted kiosk
    assert [j.request_id for j in closed] == [request_id] and closed[0].state == ends[0]
    assert service.reconcile(kiosk.store, client) == []                   # once
    types = [t for t, _ in kiosk.events("payment.")]
    assert types.count("payment.refund_requested") + types.count("payment.cancelled") == 1
    assert kiosk.events("badge.printed") == []
    kiosk.forward()                                                       # delivered events leave the outbox
    assert charged(central, "E1001") == [ends[1]]


def test_restart_with_central_offline_still_closes_an_order_that_may_be_paid(kiosk, central):
    job = service.start(kiosk.store, service_client(kiosk), session_id=uuid.uuid4().hex, employee_no="E1001",
                         reason="lost")
    orders.pay(central.storage, job.order_id)       # paid on the phone; the kiosk never saw it
    central.stop()
    [closed] = service.reconcile(kiosk.store, service_client(kiosk))
    assert closed.state == "refund_requested" and closed.detail == "closed while awaiting payment"


def kiosk_config(k):
    return k.config


def service_client(k):
    return k.client()
