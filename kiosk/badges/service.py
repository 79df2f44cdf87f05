"""The badge steps the kiosk flow runs as commands: order, poll the payment, print, close, reconcile.

Each step reads and writes the journal (:mod:`kiosk.badges.store`) and talks to
central (:mod:`kiosk.badges.central`) or the card printer; none holds state of
its own, so the flow (or a restarted kiosk) can run any of them at any time.
Payment timeouts are the caller's monotonic seconds (``waited_s``), never the
wall clock.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from kiosk.badges import store as journal
from kiosk.badges.central import (BadgesUnavailable, OrderRefused, _employee, cancel_order, create_order,
                                  get_order)
from kiosk.badges.render import Holder, card_pixels, render_badge
from sync.pull import reference_item
from terminal import TerminalError
from terminal.logs import get_logger

log = get_logger(__name__)

DEFAULT_TIMEOUT_S = 180
REASONS = ("first", "lost", "damaged")


@dataclass(frozen=True)
class Policy:
    """The badge policy as synced from central's ``config`` item ``badges``: fees (cents) per reason,
    currency, the payment timeout (seconds) and the replacements allowed a year (central enforces it)."""

    fees_cents: dict
    currency: str
    payment_timeout_s: int
    max_replacements_per_year: int | None


def policy(conn) -> Policy:
    """The synced policy (defaults when central's ``badges`` item has not been pulled yet)."""
    item = reference_item(conn, "config", "badges") or {}
    fees = {"first": 0, "lost": 2000, "damaged": 1000, **(item.get("fees_cents") or {})}
    timeout = item.get("payment_timeout_s")
    return Policy(fees, str(item.get("currency") or "CNY"),
                  timeout if isinstance(timeout, int) and 30 <= timeout <= 1800 else DEFAULT_TIMEOUT_S,
                  item.get("max_replacements_per_year"))


class PrintFailed(TerminalError):
    """The card did not print; the paid order is kept: ``job`` (state print_failed), ``cause`` (out_of_paper,
    cover_open, jam, timeout, offline, other) and the printer's words in the message.  What happens next:
    print again at no charge once the printer is ready, or leave and a refund is requested
    (:func:`close_session`)."""

    def __init__(self, job: journal.BadgeJob, cause: str, words: str):
        super().__init__(f"the badge did not print ({words}); the payment is kept: print again at no charge, "
                         f"or leave and a refund is requested automatically")
        self.job, self.cause = job, cause


def start(store, client, *, session_id: str, employee_no: str, reason: str) -> journal.BadgeJob:
    """Order a badge (``reason`` first | lost | damaged): journal, ask central, journal its answer.

    An employee with an open job gets it back (a paid one prints again, never pays again).  Returns
    the job: ``awaiting_payment`` (show ``job.code_url`` as a QR) or ``paid`` (free, or paid before).
    Raises OrderRefused (central said no; nothing is open), BadgesUnavailable (central cannot
    answer; the journalled request is closed and central cancels whatever it made of it), or
    ValueError for a malformed employee number or reason (nothing journalled).
    """
    _employee(employee_no)                       # bad input is refused before anything is journalled
    if reason not in REASONS:
        raise ValueError(f"badge reason {str(reason)[:20]!r} is not one of {', '.join(REASONS)}")
    job = journal.begin(store, session_id=session_id, employee_no=employee_no, reason=reason)
    if job.state != "ordering":
        return job
    try:
        order = create_order(client, job.request_id, employee_no, reason)
    except OrderRefused:
        journal.cancelled(store, job.request_id, "refused")
        raise
    except BadgesUnavailable:
        journal.close_job(store, job.request_id, "abandoned")
        raise
    return journal.ordered(store, job.request_id, order)


def poll(store, client, request_id: str, *, waited_s: float, timeout_s: float | None = None) -> journal.BadgeJob:
    """Ask central once about a job awaiting payment; the job after (paid, cancelled, or still awaiting).

    ``waited_s`` is how long the QR has shown (the caller's monotonic seconds); at ``timeout_s``
    (default: the policy's) the order is cancelled at central -- unless the payer was quicker,
    then it is paid and prints.  Central unreachable: the job stays awaiting until the timeout,
    then it is closed with a refund request (central refunds it if it was paid, else cancels it).
    """
    job = journal.job(store.conn, request_id)
    if job.state != "awaiting_payment":
        return job
    limit = policy(store.conn).payment_timeout_s if timeout_s is None else timeout_s
    try:
        order = cancel_order(client, job.order_id) if waited_s >= limit else get_order(client, job.order_id)
    except BadgesUnavailable as exc:
        if waited_s < limit:
            log.info("badges.poll_failed", request_id=request_id, error=str(exc))
            return job
        return journal.refund_requested(store, request_id, "abandoned", f"payment timed out; {exc}")
    if order.status in ("paid", "fulfilled"):
        return journal.paid(store, request_id)
    if order.status in ("cancelled", "expired", "refunded"):
        timed_out = waited_s >= limit or order.status == "expired"
        return journal.cancelled(store, request_id, "timed_out" if timed_out else "cancelled")
    return job


def cancel(store, client, request_id: str) -> journal.BadgeJob:
    """The employee cancels at the QR screen: cancel at central; a payment that got there first still prints."""
    job = journal.job(store.conn, request_id)
    if job.state != "awaiting_payment":
        return job
    try:
        order = cancel_order(client, job.order_id)
    except BadgesUnavailable as exc:
        return journal.refund_requested(store, request_id, "abandoned", f"cancelled while {exc}")
    if order.status in ("paid", "fulfilled"):
        return journal.paid(store, request_id)
    return journal.cancelled(store, request_id, "cancelled")


def render_for(job: journal.BadgeJob, holder: Holder, photo, size: tuple[int, int]):
    """The card image of a paid ``job`` (PIL RGB); BadgeJobError when it has no access code (not paid)."""
    if not job.access_code:
        raise journal.BadgeJobError(f"badge job {job.request_id} is {job.state}: nothing to print")
    return render_badge(holder, photo, job.access_code, size)


def print_badge(store, printer, request_id: str, holder: Holder, photo=None, *, on_progress=None) -> journal.BadgeJob:
    """Print a paid job's card on the card printer (drivers.printer, media cr80) and follow the job.

    Draws the card at the printer's imageable area, journals ``printing``, prints, and journals
    ``printed`` (badge.printed) -- or ``print_failed`` and raises :class:`PrintFailed`.  A job
    in print_failed prints again through this same call, with no new order or charge.
    """
    from drivers.errors import CoverOpen, DeviceError, DeviceTimeout, DeviceUnavailable, OutOfPaper

    job = journal.job(store.conn, request_id)
    if job.state not in ("paid", "print_failed"):
        raise journal.BadgeJobError(f"badge job {request_id} is {job.state}: only a paid badge prints")
    try:
        image = render_for(job, holder, photo, card_pixels(printer))
    except DeviceError as exc:
        raise PrintFailed(job, "offline", exc.reason) from None
    with tempfile.TemporaryDirectory(prefix="badge-") as tmp:
        path = Path(tmp) / "badge.png"
        image.save(path)
        journal.printing(store, request_id)
        try:
            printer.print_file(path, job_name=f"badge {job.order_id}", on_progress=on_progress)
        except DeviceError as exc:
            cause = ("out_of_paper" if isinstance(exc, OutOfPaper) else "cover_open" if isinstance(exc, CoverOpen)
                     else "timeout" if isinstance(exc, DeviceTimeout) else "offline"
                     if isinstance(exc, DeviceUnavailable) else "jam" if "jam" in exc.reason else "other")
            failed = journal.print_failed(store, request_id, exc.reason)
            log.warning("badges.print_failed", request_id=request_id, cause=cause)
            raise PrintFailed(failed, cause, exc.reason) from None
    return journal.printed(store, request_id)


def close_session(store, session_id: str, client=None) -> list[journal.BadgeJob]:
    """End every open job of ``session_id`` (the employee left): cancelled if unpaid, else a refund request."""
    return [_close(store, j, "abandoned", client) for j in journal.open_jobs(store.conn, session_id=session_id)]


def reconcile(store, client=None) -> list[journal.BadgeJob]:
    """At kiosk start: close every job a previous run left open (no session survives a restart).

    Unpaid orders are cancelled (asked of central when ``client`` reaches it), paid ones get a refund
    request, so each order ends printed once or refunded.  Returns the jobs closed.
    """
    closed = [_close(store, j, "kiosk_restarted", client) for j in journal.open_jobs(store.conn)]
    for j in closed:
        log.info("badges.reconciled", request_id=j.request_id, state=j.state)
    return closed


def _close(store, job: journal.BadgeJob, reason: str, client) -> journal.BadgeJob:
    status = None
    if job.state == "awaiting_payment" and client is not None:
        try:
            status = cancel_order(client, job.order_id).status
        except BadgesUnavailable:
            status = None
        if status in ("paid", "fulfilled"):
            journal.paid(store, job.request_id)
    return journal.close_job(store, job.request_id, reason, central_status=status)
