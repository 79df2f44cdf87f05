"""The certificate kinds a kiosk offers, and which of them this deployment turns on.

Each kind has its own data (fetched from central at request time) and its own
template (synced from central in the ``templates`` dataset, ``certificate_kind``
naming the kind).  The list offered is central's ``config`` item ``kiosk``,
key ``certificates`` (a list of kind names, in menu order); without it, all::

    >>> [k.name for k in enabled_kinds({"certificates": ["income", "employment"]})]
    ['income', 'employment']
    >>> KINDS["income"].cacheable
    False
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal import TerminalError


class UnknownKind(TerminalError):
    """A certificate kind this software does not know (in the config or a request)."""

    exit_code = 2


@dataclass(frozen=True)
class Kind:
    """One certificate kind: ``name`` (wire name), Chinese and English titles, the data fields it needs.

    ``cacheable`` False: its data must never be written to the device (income).
    """

    name: str
    title_zh: str
    title_en: str
    fields: tuple[str, ...]
    cacheable: bool = False


_PERSON = ("name", "employee_no", "department", "title", "hired_on")
KINDS = {k.name: k for k in [
    Kind("employment", "在职证明", "Certificate of Employment", _PERSON),
    Kind("income", "收入证明", "Certificate of Income",
         _PERSON + ("monthly_salary_cents", "annual_income_cents", "income_months")),
    Kind("social_insurance", "五险一金缴纳证明", "Certificate of Social Insurance and Housing Fund Payments",
         _PERSON + ("city", "contributions")),
]}


def kind(name: str) -> Kind:
    """The kind called ``name``; raises :class:`UnknownKind` naming the known ones."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise UnknownKind(f"unknown certificate kind {str(name)[:40]!r}; known: {', '.join(KINDS)}") from None


def enabled_kinds(kiosk_config: dict | None) -> list[Kind]:
    """The kinds to offer, in menu order, from central's ``config``/``kiosk`` item (None or no key: all).

    Raises :class:`UnknownKind` for a name this software does not know, so a typo at central is
    seen rather than silently hiding a certificate.
    """
    names = (kiosk_config or {}).get("certificates")
    if names is None:
        return list(KINDS.values())
    if not isinstance(names, list):
        raise UnknownKind("config kiosk.certificates must be a list of kind names, e.g. [\"employment\", \"income\"]")
    return [kind(n) for n in names]
