"""The membership import (会员导入): an administrator's CSV or XLSX of the cards of an earlier
system — customer key, card number, level, join date and opening points balance — checked in
a dry run, then imported.

Made of the import app's parts, not a new import kind: the strict reader
(``kehu.imports.readers.Table``: UTF-8, BOM or GBK/GB18030, XLSX; a row the file's shape
makes unreadable is reported with its number, never dropped or shifted), the upload store,
and the order-history import's customer keys and matcher (customer number, ID number, credit
code or phone — with the name, when the file has names — never guessed). It runs in the
request: a members file has thousands of rows, not millions.

Each row is checked on its own and against the archive: a customer not found (or found
twice) is a problem of the row; a customer already a member is reported and left as is (so a
second run of the same file changes nothing); a card number taken by another member, or the
same customer or card twice in the file, is a problem. The import writes each good row in its
own transaction: the member (``via`` import, at the level named — else the level their 12
months before joining earn, as any enrolment — through ``services.member_add``) with the
enrolment in the level history and, for an opening balance, one ledger row "Imported opening
balance" dated the day of the import (so the programme's expiry counts from then).
"""

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import can_manage_loyalty, require
from kehu.imports.engine import cell_date
from kehu.imports.orders.cleaning import Line, LineCleaner
from kehu.imports.orders.fields import CUSTOMER_KEYS
from kehu.imports.orders.fields import FIELDS as ORDER_FIELDS
from kehu.imports.orders.fields import header_words as order_header_words
from kehu.imports.orders.fields import suggest as suggest_columns
from kehu.imports.orders.matching import Matcher
from kehu.imports.readers import Table, file_extension
from kehu.imports.services import upload_store
from kehu.loyalty.models import Level, Member, PointsEntry
from kehu.loyalty.services.common import MANAGE_REFUSED
from kehu.loyalty.services.ledger import _entry
from kehu.loyalty.services.members import member_add

FOLDER = "member-imports"
KEEP = timedelta(days=1)  # a checked file waits this long for its import
MAX_ROWS = 20_000
MAX_POINTS = 100_000_000
CUSTOMER_COLUMNS = (*CUSTOMER_KEYS, "customer_name")
# the columns the page lists (a customer key, its name, the card)
TEMPLATE_COLUMNS = (*CUSTOMER_COLUMNS, "card_number", "level", "joined_on", "points")
FIELDS = {
    "card_number": gettext_lazy("Card number"),
    "level": gettext_lazy("Level"),
    "joined_on": gettext_lazy("Join date"),
    "points": gettext_lazy("Opening points balance"),
}
SYNONYMS = {
    "card_number": ("卡号", "会员卡号", "会员号", "会员编号", "card", "cardno", "cardnumber"),
    "level": ("等级", "会员等级", "级别", "卡类", "卡种", "level", "tier"),
    "joined_on": ("入会日期", "加入日期", "开卡日期", "注册日期", "joined", "joinedon",
                  "joindate", "since"),
    "points": ("积分", "积分余额", "期初积分", "可用积分", "points", "balance",
               "openingpoints", "pointsbalance"),
}  # fmt: skip


@dataclass
class MemberRow:
    """One row of the file: its customer (the order import's ``Line`` holds the key, the
    customer found and the problems) and its card."""

    line: Line
    card_number: str = ""
    level: Level | None = None
    joined_on: date | None = None
    points: int = 0
    member_already: str = ""  # the customer's card when already a member: reported, kept

    @property
    def number(self) -> int:
        return self.line.number

    @property
    def valid(self) -> bool:
        return self.line.valid

    def problem(self, code: str, message: str, raw: str = "") -> None:
        self.line.problem(code, message, raw)


@dataclass
class Report:
    """What a dry run found (or an import did)."""

    token: str
    name: str
    columns: dict[str, str]  # header -> field code
    rows: list[MemberRow] = field(default_factory=list)
    enrolled: int = 0
    imported: bool = False

    @property
    def problems(self) -> list[MemberRow]:
        return [r for r in self.rows if not r.valid]

    @property
    def already(self) -> list[MemberRow]:
        return [r for r in self.rows if r.valid and r.member_already]

    @property
    def ready(self) -> list[MemberRow]:
        return [r for r in self.rows if r.valid and not r.member_already]

    @property
    def enrolling(self) -> int:
        """Members the import enrolled, or (a dry run) would enrol."""
        return self.enrolled if self.imported else len(self.ready)

    @property
    def problem_lines(self) -> list[dict[str, object]]:
        """Each problem: its row, column, value and message."""
        return [
            {
                "row": r.number,
                "column": field_label(p["field"]),
                "value": p["value"],
                "message": p["message"],
            }
            for r in self.problems
            for p in r.line.problems
        ]


def field_label(code: str) -> str:
    if code in FIELDS:
        return str(FIELDS[code])
    return str(ORDER_FIELDS.get(code, ""))


def _columns(headers: list[str]) -> dict[str, str]:
    """Header -> field code for the headers recognised (the customer keys as the order import
    names them, and the card's columns by their labels in both languages or a synonym); each
    field once."""
    customer = {w: c for w, c in order_header_words().items() if c in CUSTOMER_COLUMNS}
    return suggest_columns(headers, {**order_header_words(SYNONYMS, FIELDS), **customer})


def _levels() -> dict[str, Level]:
    """A level by its name (金卡) or its code (gold), lower case."""
    found: dict[str, Level] = {}
    for level in Level.objects.order_by("rank"):
        for name in (level.name, level.code, level.code.replace("-", " ")):
            found.setdefault(_level_key(name), level)
    return found


def _level_key(raw: str) -> str:
    return " ".join(raw.lower().replace("_", " ").split())


def level_named(levels: dict[str, Level], raw: str) -> Level | None:
    """The level ``raw`` names: 金卡, gold, Gold, "Gold card" (a "card" after the code)."""
    key = _level_key(raw)
    return levels.get(key) or levels.get(key.removesuffix("card").strip())


class _Checker:
    """Checks the rows of one file: each on its own, then a chunk against the archive."""

    def __init__(self, headers: list[str], columns: dict[str, str], today: date) -> None:
        self.today = today
        self.index = {code: headers.index(h) for h, code in columns.items()}
        customer_mapping = {h: c for h, c in columns.items() if c in CUSTOMER_COLUMNS}
        self.lines = LineCleaner(headers, customer_mapping, today)
        self.matcher = Matcher(None, "")
        self.levels = _levels()
        self.level_names = [lv.name for lv in Level.objects.order_by("rank")]
        self.seen_customers: dict[int, int] = {}  # customer -> row
        self.seen_cards: dict[str, int] = {}

    def clean(self, number: int, cells: list[str], problem: str) -> MemberRow:
        line = Line(number)
        row = MemberRow(line)
        if problem:  # the file's shape: no cell of this row can be trusted
            line.problem("", problem)
            return row
        raw = self.lines.values(line, cells)
        self.lines.customer(line, raw)
        value = {code: cells[i].strip() for code, i in self.index.items() if code in FIELDS}
        card = value.get("card_number", "")
        if len(card) > 20:
            row.problem("card_number", _("At most %(n)s characters.") % {"n": 20}, card)
        row.card_number = card
        if text := value.get("level", ""):
            level = level_named(self.levels, text)
            if level is None:
                names = "、".join(self.level_names)
                message = _("No such level: choose one of %(levels)s.") % {"levels": names}
                row.problem("level", message, text)
            row.level = level
        if text := value.get("joined_on", ""):
            try:
                row.joined_on = cell_date(text)
            except ValueError:
                row.problem("joined_on", _("Not a date (e.g. 2024-03-01)."), text)
            else:
                if row.joined_on > self.today:
                    row.problem("joined_on", _("The join date is in the future."), text)
        if text := value.get("points", ""):
            plain = text.replace(",", "").replace("，", "").strip()
            if not plain.isdigit():
                message = _("The points are a whole number, 0 or more.")
                row.problem("points", message, text)
            elif int(plain) > MAX_POINTS:
                message = _("At most %(n)s points.") % {"n": MAX_POINTS}
                row.problem("points", message, text)
            else:
                row.points = int(plain)
        return row

    def against_archive(self, rows: list[MemberRow]) -> None:
        self.matcher.customers_for([r.line for r in rows if r.valid])
        valid = [r for r in rows if r.valid]
        customers = [r.line.customer_id for r in valid if r.line.customer_id]
        members = dict(
            Member.objects.filter(customer_id__in=customers).values_list(
                "customer_id", "card_number"
            )
        )
        cards = [r.card_number for r in valid if r.card_number]
        taken = dict(
            Member.objects.filter(card_number__in=cards).values_list("card_number", "customer_id")
        )
        for row in valid:
            customer_id = row.line.customer_id
            assert customer_id is not None  # noqa: S101 (a valid row has its customer)
            first = self.seen_customers.setdefault(customer_id, row.number)
            if first != row.number:
                message = _("The same customer as row %(row)s.") % {"row": first}
                row.problem("customer_number", message, str(customer_id))
                continue
            if customer_id in members:
                row.member_already = members[customer_id]
                continue
            if row.card_number:
                holder = taken.get(row.card_number)
                first = self.seen_cards.setdefault(row.card_number, row.number)
                if holder is not None:
                    message = _("Another member has this card number.")
                    row.problem("card_number", message, row.card_number)
                elif first != row.number:
                    message = _("The same card number as row %(row)s.") % {"row": first}
                    row.problem("card_number", message, row.card_number)


def _path(token: str) -> Path:
    name = Path(token).name  # a hash and an extension, nothing else
    if name != token or not token or token.startswith("."):
        raise ValidationError({"file": [_("Upload the file again.")]})
    path = Path(settings.DATA_DIR) / FOLDER / name
    if not path.is_file():
        raise ValidationError({"file": [_("Upload the file again.")]})
    return path


def _purge_old_files() -> None:
    directory = Path(settings.DATA_DIR) / FOLDER
    cutoff = time.time() - KEEP.total_seconds()
    for path in directory.iterdir() if directory.is_dir() else ():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _check(token: str, name: str) -> Report:
    path = _path(token)
    try:
        table = Table(path, path.suffix.lower())
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    columns = _columns(table.headers)
    codes = set(columns.values())
    if not codes & set(CUSTOMER_KEYS):
        message = _(
            "The file needs a column naming the customer: customer number, ID number, credit "
            "code or phone."
        )
        raise ValidationError({"file": [message]})
    if not Level.objects.exists():
        raise ValidationError({"file": [_("Set up the programme's levels first.")]})
    checker = _Checker(table.headers, columns, timezone.localdate())
    report = Report(token=token, name=name, columns=columns)
    chunk: list[MemberRow] = []
    for number, cells, problem in table.rows():
        if len(report.rows) >= MAX_ROWS:
            message = _("The file has more than %(n)s rows: split it.") % {"n": MAX_ROWS}
            raise ValidationError({"file": [message]})
        row = checker.clean(number, cells, problem)
        report.rows.append(row)
        chunk.append(row)
        if len(chunk) == 900:
            checker.against_archive(chunk)
            chunk = []
    checker.against_archive(chunk)
    if not report.rows:
        raise ValidationError({"file": [_("The file is empty: it has no rows.")]})
    return report


def members_import_upload(*, user: User, upload: IO[bytes], name: str) -> Report:
    """Keep an uploaded members file and check it (the dry run: nothing is written)."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    try:
        file_extension(name)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    _purge_old_files()
    path, _hash, _size = upload_store(upload, name, FOLDER)
    return _check(path.name, Path(name).name[:255])


def members_import_check(*, user: User, token: str, name: str = "") -> Report:
    """The dry run again over a file already uploaded."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    return _check(token, name)


def members_import_run(*, user: User, token: str, name: str = "") -> Report:
    """Check the file again (the archive may have changed since the dry run) and enrol the
    good rows' customers; already members and bad rows are reported and left alone. Running
    it twice enrols nobody the second time."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    report = _check(token, name)
    today = timezone.localdate()
    reason = _("Imported opening balance")
    for row in report.ready:
        customer_id = row.line.customer_id
        assert customer_id is not None  # noqa: S101 (a row ready has its customer)
        try:
            with transaction.atomic():
                member = member_add(
                    customer_id=customer_id,
                    on=row.joined_on or today,
                    via=Member.Via.IMPORT,
                    user=user,
                    level=row.level,
                    card_number=row.card_number,
                )
                if row.points:
                    _entry(
                        member,
                        row.points,
                        kind=PointsEntry.Kind.ADJUST,
                        occurred_on=today,
                        created_by=user,
                        reason=reason,
                    )
        except IntegrityError:  # enrolled, or the card taken, since the check
            row.problem("card_number", _("Enrolled or taken meanwhile: run the import again."))
            continue
        row.card_number = member.card_number
        report.enrolled += 1
    report.imported = True
    _path(token).unlink(missing_ok=True)
    return report
