"""A certificate's words: a template (synced from central) filled with the employee's data.

A template is an item of the ``templates`` dataset with ``kind`` "certificate"
and ``certificate_kind`` naming a :mod:`~kiosk.certificates.kinds` kind.  Its
text fields (Chinese; the ``*_en`` twins are optional English) may name data
fields in braces, ``{name}``; nothing else is interpreted (no attribute access,
no format specs), so a template from central can only place data::

    {"id": "employment-certificate", "kind": "certificate", "certificate_kind": "employment",
     "version": 2, "company": "...", "company_en": "...", "title": "在职证明", "title_en": "...",
     "body": "兹证明{name}...", "body_en": "...", "closing": "特此证明。", "closing_en": "...",
     "note": "...", "note_en": "...", "rows": [["姓名", "Name", "name"], ...],
     "items": {"pension": ["养老保险", "Pension"], ...}}

``rows`` lists (Chinese label, English label, data field) printed as a table;
``items`` names the contribution lines of the social insurance certificate.

    >>> doc = build(TEMPLATE_EXAMPLE, {"name": "欧阳测试", "hired_on": "2019-03-01"}, lang="zh+en",
    ...             serial="KSK-1-000001", issued_on="2026-11-30", terminal="KSK-1")
    >>> doc.paragraphs
    ['兹证明欧阳测试自2019年3月1日起在本公司任职。', 'We certify that 欧阳测试 has worked here since 1 March 2019.']
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from kiosk.certificates.kinds import kind as kind_named
from sync.certcode import text_hash
from terminal import TerminalError

PLACEHOLDER = re.compile(r"\{([a-z_]{1,40})\}")
LANGS = ("zh", "zh+en")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
TEXT_KEYS = ("company", "title", "body", "closing", "note")
TEMPLATE_EXAMPLE = {"id": "t", "kind": "certificate", "certificate_kind": "employment", "version": 1,
                    "company": "示例公司", "title": "在职证明", "title_en": "Certificate of Employment",
                    "body": "兹证明{name}自{hired_on}起在本公司任职。",
                    "body_en": "We certify that {name} has worked here since {hired_on}."}


class TemplateError(TerminalError):
    """A certificate template central sent cannot be used (missing, malformed, or naming unknown data)."""


@dataclass
class Document:
    """Every word of one certificate, in the order it is drawn (the order :meth:`visible_text` hashes).

    ``rows``: (label, value) pairs; ``table``: a header row and data rows (contributions).
    """

    kind: str
    lang: str
    template: str
    company: list[str]
    title: list[str]
    serial_line: str
    paragraphs: list[str]
    rows: list[tuple[str, str]] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    verify_caption: list[str] = field(default_factory=list)
    note: list[str] = field(default_factory=list)

    def strings(self) -> list[str]:
        """Every visible string, in drawing order."""
        out = [*self.company, *self.title, self.serial_line, *self.paragraphs]
        for label, value in self.rows:
            out += [label, value]
        for row in self.table:
            out += row
        return out + [*self.closing, *self.signature, *self.verify_caption, *self.note]

    def visible_text(self) -> str:
        """The visible text, one string per line (what the code's text hash covers)."""
        return "\n".join(self.strings())

    def text_hash(self) -> str:
        """:func:`sync.certcode.text_hash` of :meth:`visible_text`."""
        return text_hash(self.visible_text())


def find_template(items: list[dict], kind: str) -> dict:
    """The newest certificate template for ``kind`` among ``templates`` dataset items; checked.

    Raises :class:`TemplateError` when there is none or it is malformed (what central must fix).
    """
    found = [i for i in items if isinstance(i, dict) and i.get("kind") == "certificate"
             and i.get("certificate_kind") == kind]
    if not found:
        raise TemplateError(f"no certificate template for {kind} has been synced from central "
                            f"(templates dataset); run 'terminal sync pull' or add one at central")
    template = max(found, key=lambda i: (_version(i), str(i.get("id"))))
    check_template(template)
    return template


def check_template(template: dict) -> None:
    """Raise :class:`TemplateError` naming the first problem of ``template``; None when usable."""
    name = f"template {str(template.get('id'))[:40]!r}"
    kind = kind_named(template.get("certificate_kind"))
    for key in ("title", "body"):
        if not isinstance(template.get(key), str) or not template[key].strip():
            raise TemplateError(f"{name} needs a non-empty text {key!r}")
    allowed = set(kind.fields) | {"name_en", "department_en", "title_en", "city_en"}
    for key, text in _texts(template):
        unknown = sorted(set(PLACEHOLDER.findall(text)) - allowed)
        if unknown:
            raise TemplateError(f"{name}: {key} names {', '.join(unknown)}, which a {kind.name} certificate "
                                f"does not have (it has {', '.join(sorted(allowed))})")
    for row in template.get("rows") or []:
        if not (isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)
                and row[2] in allowed):
            raise TemplateError(f"{name}: each row must be [Chinese label, English label, data field]")


def build(template: dict, data: dict, *, lang: str, serial: str, issued_on: str, terminal: str) -> Document:
    """The :class:`Document` for ``data`` (central's answer) on ``template`` in ``lang`` ("zh" or "zh+en").

    ``issued_on`` is ``YYYY-MM-DD`` (central's date); ``serial`` and ``terminal`` are printed.  Raises
    :class:`TemplateError` for an unknown ``lang`` or English asked of a template without it.
    """
    if lang not in LANGS:
        raise TemplateError(f"language {lang!r}: choose one of {', '.join(LANGS)}")
    english = lang == "zh+en"
    if english and not has_english(template):
        raise TemplateError(f"template {template.get('id')!r} has no English text (title_en, body_en)")

    def both(key: str) -> list[str]:
        out = [fill(template[key], data, "zh")] if template.get(key) else []
        if english and template.get(key + "_en"):
            out.append(fill(template[key + "_en"], data, "en"))
        return out

    day = datetime.date.fromisoformat(issued_on)
    rows = [(_label(zh, en, english), format_value(key, data.get(key), "zh"))
            for zh, en, key in template.get("rows") or []]
    table = (contributions_table(template, data.get("contributions"), english)
             if template["certificate_kind"] == "social_insurance" else [])
    company = both("company")
    return Document(
        kind=template["certificate_kind"], lang=lang, template=f"{template.get('id')}@{_version(template)}",
        company=company, title=both("title"),
        serial_line=("编号 No. " if english else "编号：") + serial,
        paragraphs=both("body"), rows=rows, table=table, closing=both("closing"),
        signature=[*company[:1], _date_zh(day)] + ([_date_en(day)] if english else []),
        verify_caption=["扫码核验 Scan to verify" if english else "扫码核验真伪",
                        ("开具终端 Terminal " if english else "开具终端：") + terminal],
        note=both("note"))


def has_english(template: dict) -> bool:
    """Whether ``template`` can print English too (it has title_en and body_en)."""
    return bool(template.get("title_en")) and bool(template.get("body_en"))


def fill(text: str, data: dict, lang: str) -> str:
    """``text`` with each ``{field}`` replaced by the formatted data value (English values for "en")."""
    def value(match: re.Match) -> str:
        key = match.group(1)
        if lang == "en" and data.get(key + "_en"):
            key += "_en"
        return format_value(key, data.get(key), lang)
    return PLACEHOLDER.sub(value, text)


def format_value(key: str, value, lang: str) -> str:
    """One data value as printed: dates, months and money in the language's way; others as text.

        >>> format_value("hired_on", "2019-03-01", "zh"), format_value("monthly_salary_cents", 1285000, "en")
        ('2019年3月1日', 'CNY 12,850.00')
    """
    if value is None or value == "":
        return "—"
    if key.endswith("_cents") and isinstance(value, int) and not isinstance(value, bool):
        amount = f"{value // 100:,}.{value % 100:02d}"
        return f"人民币 {amount} 元" if lang == "zh" else f"CNY {amount}"
    if key.endswith("_on") and isinstance(value, str):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return value
        return _date_zh(day) if lang == "zh" else _date_en(day)
    return str(value)


def contributions_table(template: dict, contributions, english: bool) -> list[list[str]]:
    """Header and one row per contribution line: item, from, to, months, base."""
    names = template.get("items") or {}
    header = (["险种 Item", "起始 From", "截至 To", "月数 Months", "缴费基数 Base"] if english
              else ["险种", "起始月份", "截至月份", "缴费月数", "缴费基数"])
    rows = [header]
    for line in contributions or []:
        zh_en = names.get(line.get("item")) or [str(line.get("item")), str(line.get("item"))]
        rows.append([_label(zh_en[0], zh_en[1], english), _month(line.get("from"), english),
                     _month(line.get("to"), english), str(line.get("months", "—")),
                     format_value("base_cents", line.get("base_cents"), "en" if english else "zh")])
    return rows


def _label(zh: str, en: str, english: bool) -> str:
    return f"{zh} {en}" if english and en else zh


def _month(value, english: bool) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
        return "—"
    year, month = int(value[:4]), int(value[5:])
    return f"{year}年{month}月" + (f" {MONTHS_EN[month - 1][:3]} {year}" if english else "")


def _date_zh(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _date_en(day: datetime.date) -> str:
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def _texts(template: dict):
    for key in TEXT_KEYS:
        for k in (key, key + "_en"):
            if isinstance(template.get(k), str):
                yield k, template[k]


def _version(template: dict) -> int:
    v = template.get("version")
    return v if isinstance(v, int) and not isinstance(v, bool) else 0
