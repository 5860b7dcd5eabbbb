"""Order-history import (订单历史导入): a business's past sales, one row per order line, into
the sales tables, through the same batches, pages, API and ``kehu import`` as customers
(``ImportBatch.kind`` "orders").

A row names its customer by one key — Kehu's customer number (the id), the ID number, the
unified social credit code, a custom field chosen as external reference, or the phone (with
the name, when the file has names, to tell apart customers sharing a phone) — and is refused
when that key finds no live customer or more than one: never guessed. Products are matched by
code, else by exact name; unknown ones are created (or their rows refused, as the batch says).

Orders are imported whole: the lines of one order number must agree on customer, date,
currency, channel and status, and one invalid line refuses every line of its order (saying
which row was wrong), so no order is ever written with lines missing. Hence two passes over
the file: the first checks every row and finds the orders that cannot be imported; the second
writes the report (dry run) or the orders (import), chunk by chunk, each chunk one transaction
with its report rows, the daily sales summary's deltas and the checkpoint (``processed_rows``).

Idempotent on order number + line: an order number already in the archive (imported before,
by another import or entered by hand) is skipped with a reason on each of its rows; a resumed
import adds only the lines after its checkpoint to the orders it created itself.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.selectors import primary_team
from kehu.core.bulk import insert_rows
from kehu.core.forked import fewer_collections
from kehu.core.idcard import parse_id_number
from kehu.core.text import is_plain_line, validate_plain_text
from kehu.customers.models import Customer, CustomField, OrganizationProfile, PersonProfile, Phone
from kehu.customers.values import lookup_hash
from kehu.imports.engine import (
    NOT_CHECKED,
    PhoneCleaner,
    batch_validated,
    date_text,
    open_table,
)
from kehu.imports.engine.writing import report_rows
from kehu.imports.mapping import Target, normalise_header
from kehu.imports.models import ImportBatch, ImportRow
from kehu.imports.readers import Table, file_hash
from kehu.sales.models import Currency, Order, OrderLine, Payment, Product, SalesDaily

ORDERS = "orders"
CURRENCIES = frozenset(Currency.values)
CHUNK_SIZE = 5000
LIVE = (Customer.Status.ACTIVE.value, Customer.Status.PUBLIC_POOL.value)
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
MAX_AMOUNT = Decimal("999999999999.99")  # 14 digits, 2 decimals
# Kehu numbers the orders it takes SO + 9 digits: imported numbers may not take those.
RESERVED_NUMBER = re.compile(r"^SO\d{9}$")
Progress = Callable[[ImportBatch], None]

# Where a row's customer comes from, in the order a row's keys are tried.
CUSTOMER_KEYS = ("customer_number", "id_number", "credit_code", "phone")
FIELDS: dict[str, Any] = {
    "customer_number": gettext_lazy("Customer number (Kehu)"),
    "id_number": gettext_lazy("ID number"),
    "credit_code": gettext_lazy("Unified social credit code"),
    "phone": gettext_lazy("Phone"),
    "customer_name": gettext_lazy("Customer name"),
    "order_number": gettext_lazy("Order number"),
    "line": gettext_lazy("Line number"),
    "ordered_on": gettext_lazy("Order date"),
    "product_code": gettext_lazy("Product code"),
    "product_name": gettext_lazy("Product name"),
    "quantity": gettext_lazy("Quantity"),
    "unit_price": gettext_lazy("Unit price"),
    "amount": gettext_lazy("Amount"),
    "channel": gettext_lazy("Channel"),
    "currency": gettext_lazy("Currency"),
    "status": gettext_lazy("Status"),
    "paid": gettext_lazy("Amount paid"),
    "payment_method": gettext_lazy("Payment method"),
}
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_number": ("客户编号", "客户号", "客户id", "customerid", "customerno",
                        "customernumber"),
    "id_number": ("身份证号", "身份证", "身份证号码", "证件号码", "idnumber", "idcard"),
    "credit_code": ("统一社会信用代码", "信用代码", "creditcode"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话", "phone", "mobile", "tel"),
    "customer_name": ("客户名称", "客户姓名", "客户", "姓名", "名称", "customer", "customername",
                      "name"),
    "order_number": ("订单号", "订单编号", "单号", "订单", "orderno", "ordernumber", "order",
                     "orderid"),
    "line": ("行号", "明细行", "序号", "line", "lineno", "linenumber"),
    "ordered_on": ("下单日期", "订单日期", "日期", "购买日期", "销售日期", "orderdate", "date",
                   "orderedon"),
    "product_code": ("商品编码", "产品编码", "商品代码", "产品代码", "货号", "sku",
                     "productcode", "itemcode"),
    "product_name": ("商品名称", "产品名称", "商品", "产品", "品名", "product", "productname",
                     "item"),
    "quantity": ("数量", "件数", "qty", "quantity"),
    "unit_price": ("单价", "价格", "unitprice", "price"),
    "amount": ("金额", "小计", "总价", "销售额", "amount", "linetotal", "total"),
    "channel": ("渠道", "销售渠道", "channel"),
    "currency": ("币种", "货币", "currency"),
    "status": ("状态", "订单状态", "status"),
    "paid": ("已付", "已付金额", "实付", "实付金额", "回款", "paid", "amountpaid"),
    "payment_method": ("付款方式", "支付方式", "paymentmethod", "payment"),
}  # fmt: skip
EXTERNAL = "external:"  # + a custom field's code: its value is the customer's external reference


def targets() -> list[Target]:
    found = [Target(code, str(label)) for code, label in FIELDS.items()]
    for custom in CustomField.objects.filter(is_active=True).order_by("code"):
        label = _("External reference: %(field)s") % {"field": custom.label}
        found.append(Target(EXTERNAL + custom.code, label))
    return found


def suggest(headers: list[str]) -> dict[str, str]:
    words: dict[str, str] = {}
    for code, synonyms in SYNONYMS.items():
        for word in synonyms:
            words.setdefault(normalise_header(word), code)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in FIELDS.items():
                words.setdefault(normalise_header(str(label)), code)
    mapping: dict[str, str] = {}
    for header in headers:
        found = words.get(normalise_header(header))
        if found and found not in mapping.values():
            mapping[header] = found
    return mapping


def mapping_errors(mapping: dict[str, str]) -> list[str]:
    """What an order-history mapping lacks (the mapping holds only known codes)."""
    codes = set(mapping.values())
    errors = []
    if not codes & set(CUSTOMER_KEYS) and not any(c.startswith(EXTERNAL) for c in codes):
        errors.append(
            _(
                "Map a column to the customer: customer number, ID number, credit code, "
                "phone or an external reference."
            )
        )
    if len([c for c in codes if c.startswith(EXTERNAL)]) > 1:
        errors.append(_("Choose one custom field as the external reference."))
    for code in ("order_number", "ordered_on"):
        if code not in codes:
            errors.append(_("Map a column to “%(field)s”.") % {"field": FIELDS[code]})
    if not codes & {"product_code", "product_name"}:
        errors.append(_("Map a column to the product code or the product name."))
    if not codes & {"unit_price", "amount"}:
        errors.append(_("Map a column to the unit price or the amount."))
    return errors


# --- one row ----------------------------------------------------------------------------------


@dataclass
class Line:
    number: int  # the row in the file
    problems: list[dict[str, str]] = field(default_factory=list)
    key: tuple[str, str] | None = None  # (key kind, value) naming the customer
    name: str = ""
    order_number: str = ""
    line: str = ""
    ordered_on: date | None = None
    product_code: str = ""
    product_name: str = ""
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    amount: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    channel: str = Order.Channel.STORE
    currency: str = "CNY"
    cancelled: bool = False
    paid: Decimal = Decimal(0)
    method: str = Payment.Method.BANK_TRANSFER
    customer_id: int | None = None
    product_id: int | None = None
    skip: str = ""  # why the row is skipped (its order is in the archive already)

    @property
    def valid(self) -> bool:
        return not self.problems

    def problem(self, code: str, message: str, raw: str = "") -> None:
        self.problems.append({"field": code, "message": message, "value": raw[:100]})


def _words(choices: Any, extra: dict[str, str]) -> dict[str, str]:
    words = {code.lower(): code for code, _label in choices}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in choices:
                words[str(label).strip().lower()] = code
    return {**words, **extra}


CHANNEL_WORDS = {"门店": "store", "线下": "store", "店铺": "store", "线上": "online",
                 "网店": "online", "电商": "online", "网上": "online", "销售": "sales_rep",
                 "业务员": "sales_rep", "经销商": "distributor", "代理": "distributor"}  # fmt: skip
STATUS_WORDS = {"已取消": "cancelled", "取消": "cancelled", "作废": "cancelled",
                "已完成": "delivered", "完成": "delivered", "已发货": "delivered",
                "已签收": "delivered", "已确认": "confirmed", "确认": "confirmed"}  # fmt: skip
METHOD_WORDS = {"银行转账": "bank_transfer", "转账": "bank_transfer", "现金": "cash",
                "刷卡": "card", "银行卡": "card", "支付宝": "alipay", "微信": "wechat",
                "微信支付": "wechat"}  # fmt: skip


def _list(words: list[str]) -> str:
    language = translation.get_language() or ""
    return ("、" if language.startswith("zh") else ", ").join(words)


def _decimal(raw: str) -> Decimal:
    text = raw.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


class LineCleaner:
    """Cleans the rows of one file with one mapping."""

    def __init__(self, headers: list[str], mapping: dict[str, str], today: date) -> None:
        self.columns = [(i, mapping[h]) for i, h in enumerate(headers) if mapping.get(h)]
        self.external = next(
            (c[len(EXTERNAL) :] for _i, c in self.columns if c.startswith(EXTERNAL)), ""
        )
        self.has_names = any(code == "customer_name" for _i, code in self.columns)
        self.today = today
        self.phone = PhoneCleaner()
        self.channels = _words(Order.Channel.choices, CHANNEL_WORDS)
        self.statuses = _words(Order.Status.choices, STATUS_WORDS)
        self.methods = _words(Payment.Method.choices, METHOD_WORDS)

    def clean(self, number: int, cells: list[str], problem: str = "") -> Line:
        row = Line(number)
        if problem:  # the file's shape: no cell of this row can be trusted
            row.problem("", problem)
            return row
        raw: dict[str, str] = {}
        plain = is_plain_line("\t".join(cells))
        for index, code in self.columns:
            value = cells[index].strip()
            if not value:
                continue
            if not plain:
                try:
                    validate_plain_text(value, multiline=False)
                except ValidationError as exc:
                    row.problem(code, " ".join(exc.messages), value)
                    continue
            raw[code] = value
        self._customer(row, raw)
        self._order(row, raw)
        self._product(row, raw)
        self._money(row, raw)
        return row

    def _customer(self, row: Line, raw: dict[str, str]) -> None:
        row.name = raw.get("customer_name", "")[:200]
        for code in (*CUSTOMER_KEYS[:3], "external", "phone"):
            value = raw.get(EXTERNAL + self.external if code == "external" else code, "")
            if not value:
                continue
            try:
                if code == "customer_number":
                    if not value.isdigit() or len(value) > 18:
                        raise ValidationError(_("A customer number is digits only."))
                elif code == "id_number":
                    value = lookup_hash(parse_id_number(value, today=self.today).number)
                elif code == "credit_code":
                    value = value.upper()
                elif code == "phone":
                    value = self.phone(value)
            except ValidationError as exc:
                row.problem(code, " ".join(exc.messages), raw.get(code, value))
                return
            row.key = (code, value)
            return
        row.problem("customer_number", _("The row names no customer (number, ID, phone …)."))

    def _order(self, row: Line, raw: dict[str, str]) -> None:
        number = raw.get("order_number", "")
        if not number:
            row.problem("order_number", _("The order number is missing."))
        elif len(number) > 20:
            row.problem("order_number", _("At most %(n)s characters.") % {"n": 20}, number)
        elif RESERVED_NUMBER.match(number):
            row.problem(
                "order_number",
                _("Numbers like SO000000123 are Kehu's own order numbers: rename the order."),
                number,
            )
        row.order_number = number
        row.line = raw.get("line", "")[:20]
        text = raw.get("ordered_on", "")
        if not text:
            row.problem("ordered_on", _("The order date is missing."))
        else:
            try:
                row.ordered_on = date.fromisoformat(date_text(text.split(" ")[0].split("T")[0]))
            except ValueError:
                row.problem("ordered_on", _("Not a date (e.g. 2024-03-01)."), text)
            else:
                if row.ordered_on > self.today:
                    row.problem("ordered_on", _("The order date is in the future."), text)
                elif row.ordered_on.year < 1980:
                    row.problem("ordered_on", _("The order date is before 1980."), text)
        for code, words, attr in (
            ("channel", self.channels, "channel"),
            ("status", self.statuses, "cancelled"),
            ("payment_method", self.methods, "method"),
        ):
            if code not in raw:
                continue
            chosen = words.get(raw[code].lower())
            if chosen is None:
                row.problem(code, _("Unknown value."), raw[code])
            elif attr == "cancelled":
                row.cancelled = chosen == Order.Status.CANCELLED
            else:
                setattr(row, attr, chosen)
        currency = raw.get("currency", "CNY").upper().replace("RMB", "CNY").replace("人民币", "CNY")
        if currency not in CURRENCIES:
            row.problem("currency", _("Choose one of: %(c)s.") % {"c": ", ".join(Currency.values)},
                        raw.get("currency", ""))  # fmt: skip
        row.currency = currency

    def _product(self, row: Line, raw: dict[str, str]) -> None:
        row.product_code = raw.get("product_code", "")
        row.product_name = raw.get("product_name", "")[:120]
        if not row.product_code and not row.product_name:
            row.problem("product_code", _("The row names no product (code or name)."))
        elif row.product_code and (
            len(row.product_code) > 40 or not re.fullmatch(r"[-a-zA-Z0-9_]+", row.product_code)
        ):
            row.problem(
                "product_code",
                _("A product code is at most 40 letters, digits, hyphens or underscores."),
                row.product_code,
            )

    def _money(self, row: Line, raw: dict[str, str]) -> None:
        values: dict[str, Decimal] = {}
        for code in ("quantity", "unit_price", "amount", "paid"):
            if code not in raw:
                continue
            try:
                values[code] = _decimal(raw[code])
            except (InvalidOperation, ValueError):
                row.problem(code, _("Not a number."), raw[code])
                continue
            if values[code] < 0 or values[code] > MAX_AMOUNT:
                row.problem(code, _("Out of range."), raw[code])
        if not row.valid:
            return
        quantity = values.get("quantity", Decimal(1))
        if quantity <= 0 or quantity != quantity.quantize(MILLI):
            row.problem("quantity", _("A quantity above zero with at most 3 decimals."),
                        raw.get("quantity", ""))  # fmt: skip
            return
        row.quantity = quantity
        price, amount = values.get("unit_price"), values.get("amount")
        if price is None and amount is None:
            row.problem("amount", _("Give the unit price or the amount."))
            return
        if price is not None and price != price.quantize(CENT):
            row.problem("unit_price", _("At most 2 decimals."), raw["unit_price"])
            return
        gross = (quantity * price).quantize(CENT, ROUND_HALF_UP) if price is not None else None
        if amount is None:
            amount = gross
        elif amount != amount.quantize(CENT):
            row.problem("amount", _("At most 2 decimals."), raw["amount"])
            return
        assert amount is not None  # noqa: S101 (one of the two is given)
        if price is None:
            price = (amount / quantity).quantize(CENT, ROUND_HALF_UP)
            gross = (quantity * price).quantize(CENT, ROUND_HALF_UP)
        assert gross is not None  # noqa: S101
        if amount > gross + CENT:
            row.problem(
                "amount",
                _("The amount %(amount)s is more than quantity × unit price (%(gross)s).")
                % {"amount": amount, "gross": gross},
                raw.get("amount", ""),
            )
            return
        if gross > 0 and amount < gross:
            row.discount = min(Decimal(100), (100 - amount * 100 / gross).quantize(CENT))
        row.unit_price, row.amount = price, amount
        paid = values.get("paid", Decimal(0))
        if paid > amount:
            row.problem("paid", _("More than the line's amount."), raw["paid"])
        row.paid = paid


# --- matching against the archive ---------------------------------------------------------------


def _select(sql: str, values: list[Any], extra: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run ``sql`` (with ``{marks}`` for the values) 900 values a query."""
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), 900):
            part = values[start : start + 900]
            cursor.execute(sql.format(marks=", ".join(["%s"] * len(part))), [*part, *(extra or [])])
            found.extend(cursor.fetchall())
    return found


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


class Matcher:
    """Finds rows' customers and products, remembering what it found for the whole file."""

    AMBIGUOUS = -1

    def __init__(self, batch: ImportBatch, external: str) -> None:
        self.batch = batch
        self.external = external
        self.customers: dict[tuple[str, str], int] = {}  # key -> customer id (or AMBIGUOUS)
        self.names: dict[int, str] = {}
        self.owners: dict[int, int | None] = {}
        self.by_phone: dict[str, list[int]] = {}
        self.products: dict[str, int] = {}  # "c:" code / "n:" name -> product id or AMBIGUOUS
        self.external_values: dict[str, int] | None = None
        self.to_create: dict[str, int] = {}  # products the import will create, by key -> row

    def _live(self, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self.names]
        rows = _select(
            f"SELECT id, name, owner_id FROM {_table(Customer)} "  # noqa: S608
            f"WHERE id IN ({{marks}}) AND status IN (%s, %s)",
            missing,
            list(LIVE),
        )
        for pk, name, owner in rows:
            self.names[pk], self.owners[pk] = name, owner

    def _external(self) -> dict[str, int]:
        if self.external_values is None:
            values: dict[str, int] = {}
            queryset = Customer.objects.filter(status__in=LIVE).values_list("id", "custom_values")
            for pk, custom in queryset.iterator(chunk_size=20_000):
                value = (custom or {}).get(self.external)
                if value not in (None, ""):
                    text = str(value).strip()
                    values[text] = self.AMBIGUOUS if text in values else pk
            self.external_values = values
        return self.external_values

    def customers_for(self, rows: list["Line"]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row.valid and row.key and row.key not in self.customers:
                wanted[row.key[0]].add(row.key[1])
        found: dict[tuple[str, str], set[int]] = defaultdict(set)
        if wanted["customer_number"]:
            ids = {int(v) for v in wanted["customer_number"]}
            self._live(ids)
            for pk in ids:
                if pk in self.names:
                    found[("customer_number", str(pk))].add(pk)
        lookups = (
            ("id_number", PersonProfile, "id_number_hash"),
            ("credit_code", OrganizationProfile, "credit_code"),
        )
        for kind, model, column in lookups:
            if wanted[kind]:
                pairs = _select(
                    f"SELECT {column}, customer_id FROM {_table(model)} "  # noqa: S608
                    f"WHERE {column} IN ({{marks}})",
                    sorted(wanted[kind]),
                )
                self._live({c for _v, c in pairs})
                for value, pk in pairs:
                    if pk in self.names:
                        found[(kind, value)].add(pk)
        if wanted["external"]:
            values = self._external()
            for value in wanted["external"]:
                external = values.get(value)
                if external is not None:
                    found[("external", value)].add(external)
        if wanted["phone"]:
            pairs = _select(
                f"SELECT number, customer_id FROM {_table(Phone)} "  # noqa: S608
                f"WHERE number IN ({{marks}}) AND contact_id IS NULL",
                sorted(wanted["phone"]),
            )
            self._live({c for _v, c in pairs})
            for value, pk in pairs:
                if pk in self.names:
                    found[("phone", value)].add(pk)
        for kind, wanted_values in wanted.items():
            for value in wanted_values:
                ids = found.get((kind, value), set())
                self.customers[(kind, value)] = (
                    next(iter(ids)) if len(ids) == 1 else self.AMBIGUOUS if ids else 0
                )
                if kind == "phone":
                    self.by_phone[value] = sorted(ids)
        for row in rows:
            if row.valid and row.key:
                self._resolve(row)

    def _resolve(self, row: "Line") -> None:
        assert row.key is not None  # noqa: S101
        kind, value = row.key
        shown = "" if kind == "id_number" else value
        pk = self.customers[row.key]
        if kind == "phone" and row.name:
            named = [c for c in self.by_phone.get(value, []) if self.names.get(c) == row.name]
            pk = named[0] if len(named) == 1 else self.AMBIGUOUS if named else 0
            if pk == 0 and self.by_phone.get(value):
                row.problem(
                    "customer_name",
                    _("No customer with this phone is named “%(name)s”.") % {"name": row.name},
                    row.name,
                )
                return
        if pk in (0, self.AMBIGUOUS):
            label = FIELDS[kind] if kind in FIELDS else _("External reference")
        if pk == 0:
            row.problem(kind, _("No customer in the archive has this %(key)s.") % {"key": label},
                        shown)  # fmt: skip
        elif pk == self.AMBIGUOUS:
            row.problem(kind, _("Several customers have this %(key)s: give a customer number.")
                        % {"key": label}, shown)  # fmt: skip
        elif row.name and kind != "phone" and self.names.get(pk) != row.name:
            row.problem(
                "customer_name",
                _("Customer %(number)s is named “%(archive)s”, not “%(name)s”.")
                % {"number": pk, "archive": self.names.get(pk), "name": row.name},
                row.name,
            )
        else:
            row.customer_id = pk

    def products_for(self, rows: list["Line"], *, create: bool) -> None:
        codes = {r.product_code for r in rows if r.valid and r.product_code}
        names = {r.product_name for r in rows if r.valid and not r.product_code}
        codes -= {k[2:] for k in self.products if k.startswith("c:")}
        names -= {k[2:] for k in self.products if k.startswith("n:")}
        if codes:
            found = dict(_select(f"SELECT code, id FROM {_table(Product)} "  # noqa: S608
                                 "WHERE code IN ({marks})", sorted(codes)))  # fmt: skip
            for code in codes:
                if code in found:
                    self.products["c:" + code] = found[code]
        if names:
            named: dict[str, list[int]] = defaultdict(list)
            for name, pk in _select(f"SELECT name, id FROM {_table(Product)} "  # noqa: S608
                                    "WHERE name IN ({marks})", sorted(names)):  # fmt: skip
                named[name].append(pk)
            for name, ids in named.items():
                self.products["n:" + name] = ids[0] if len(ids) == 1 else self.AMBIGUOUS
        for row in rows:
            if not row.valid:
                continue
            key = "c:" + row.product_code if row.product_code else "n:" + row.product_name
            pk = self.products.get(key)
            if pk == self.AMBIGUOUS:
                row.problem("product_name", _("Several products have this name: give the code."),
                            row.product_name)  # fmt: skip
            elif pk is not None:
                row.product_id = pk
            elif not create:
                row.problem(
                    "product_code" if row.product_code else "product_name",
                    _("No such product in the catalogue (this import does not create products)."),
                    row.product_code or row.product_name,
                )
            else:
                self.to_create.setdefault(key, row.number)

    def existing_orders(self, numbers: set[str]) -> dict[str, tuple[int, int, int | None]]:
        """Order number -> (order id, customer id, import batch id) of those in the archive."""
        rows = _select(f"SELECT number, id, customer_id, import_batch_id FROM {_table(Order)} "  # noqa: S608
                       "WHERE number IN ({marks})", sorted(numbers))  # fmt: skip
        return {number: (pk, customer, batch) for number, pk, customer, batch in rows}


# --- the two passes ------------------------------------------------------------------------------


@dataclass
class OrderHead:
    """What the first line of an order in the file said, to hold the others to it."""

    row: int
    customer: tuple[str, str] | None
    name: str
    ordered_on: date | None
    currency: str
    channel: str
    cancelled: bool
    lines: set[str] = field(default_factory=set)
    count: int = 0


class FileCheck:
    """The first pass: every row cleaned and matched; the orders of the file, their first row,
    and the orders that cannot be imported (first bad row)."""

    def __init__(self, batch: ImportBatch, table: Table) -> None:
        self.batch, self.table = batch, table
        self.cleaner = LineCleaner(table.headers, batch.mapping, timezone.localdate())
        self.matcher = Matcher(batch, self.cleaner.external)
        self.orders: dict[str, OrderHead] = {}
        self.bad: dict[str, int] = {}  # order number -> its first invalid row
        self.extra: dict[int, dict[str, str]] = {}  # row -> its problem with its order
        self.rows = 0

    def chunks(self, start: int = 0) -> Iterator[list[Line]]:
        rows = self.table.rows()
        if start:
            for _skipped in islice(rows, start):
                pass
        while chunk := list(islice(rows, CHUNK_SIZE)):
            lines = [self.cleaner.clean(n, cells, problem) for n, cells, problem in chunk]
            self.matcher.customers_for(lines)
            self.matcher.products_for(lines, create=self.batch.create_products)
            yield lines

    def consistent(self, row: Line) -> None:
        """Hold a row to the first line of its order (first pass only)."""
        if not row.order_number:
            return
        head = self.orders.get(row.order_number)
        if head is None:
            head = OrderHead(row.number, row.key, row.name, row.ordered_on, row.currency,
                             row.channel, row.cancelled)  # fmt: skip
            self.orders[row.order_number] = head
        elif row.valid:
            same = (
                (gettext_lazy("customer"), head.customer == row.key and head.name == row.name),
                (gettext_lazy("date"), head.ordered_on == row.ordered_on),
                (gettext_lazy("currency"), head.currency == row.currency),
                (gettext_lazy("channel"), head.channel == row.channel),
                (gettext_lazy("status"), head.cancelled == row.cancelled),
            )
            differs = [str(label) for label, agrees in same if not agrees]
            if differs:
                self._problem(
                    row,
                    "order_number",
                    _("Row %(row)s gave order %(order)s another %(what)s.")
                    % {"row": head.row, "order": row.order_number, "what": _list(differs)},
                    row.order_number,
                )
        head.count += 1
        line = row.line or str(head.count)
        if row.valid and line in head.lines:
            self._problem(row, "line", _("Order %(order)s has line %(line)s twice in the file.")
                        % {"order": row.order_number, "line": line}, line)  # fmt: skip
        head.lines.add(line)
        if not row.valid:
            self.bad.setdefault(row.order_number, row.number)

    def _problem(self, row: Line, code: str, message: str, raw: str) -> None:
        row.problem(code, message, raw)
        self.extra[row.number] = row.problems[-1]

    def again(self, row: Line) -> None:
        """Second pass: the row's problem with its order, found by the first."""
        problem = self.extra.get(row.number)
        if problem is not None:
            row.problems.append(problem)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        for lines in self.chunks():
            for row in lines:
                self.consistent(row)
            self.rows += len(lines)
            if progress:
                progress(self.rows)

    def judge(self, row: Line, existing: dict[str, tuple[int, int, int | None]]) -> None:
        """Second pass: refuse the rows of an order with a bad line; mark those to skip."""
        if not row.valid:
            return
        bad = self.bad.get(row.order_number)
        if bad is not None:
            row.problem("order_number", _("Row %(row)s of order %(order)s is invalid: an order "
                                          "is imported whole.")
                        % {"row": bad, "order": row.order_number}, row.order_number)  # fmt: skip
            return
        found = existing.get(row.order_number)
        if found is not None and found[2] != self.batch.pk:
            pk, customer, batch = found
            if batch:
                row.skip = _("Order %(order)s is in the archive already (import #%(batch)s).") % {
                    "order": row.order_number,
                    "batch": batch,
                }
            else:
                row.skip = _("Order %(order)s is in the archive already (customer %(c)s).") % {
                    "order": row.order_number,
                    "c": customer,
                }


def _skip_problem(row: Line) -> list[dict[str, str]]:
    return [{"field": "order_number", "message": row.skip, "value": row.order_number}]


def dry_run(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Check every row (writes nothing but the report): invalid rows with their problems,
    rows to be skipped (their order is in the archive) with the reason."""
    table = open_table(batch)
    ImportRow.objects.filter(batch=batch).delete()
    batch.status = ImportBatch.Status.VALIDATING
    batch.total_rows = lines = table.count_lines()
    batch.checked_rows = batch.valid_rows = batch.invalid_rows = batch.duplicate_rows = 0
    batch.checked_hash = batch.reading_note = ""
    batch.save()
    check = FileCheck(batch, table)

    def first(rows: int) -> None:
        batch.checked_rows = rows // 2
        batch.save(update_fields=["checked_rows", "updated_at"])
        if progress:
            progress(batch)

    with fewer_collections():
        check.run(first)
        batch.checked_rows = 0
        for chunk in check.chunks():
            existing = check.matcher.existing_orders({r.order_number for r in chunk if r.valid})
            report: list[tuple[int, str, int | None, list[Any]]] = []
            for row in chunk:
                check.again(row)
                check.judge(row, existing)
                if not row.valid:
                    report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
                elif row.skip:
                    report.append(
                        (row.number, ImportRow.Outcome.SKIPPED, row.customer_id, _skip_problem(row))
                    )
            with transaction.atomic():
                report_rows(batch, report)
                batch.checked_rows += len(chunk)
                batch.invalid_rows += sum(1 for r in chunk if not r.valid)
                batch.valid_rows += sum(1 for r in chunk if r.valid and not r.skip)
                batch.duplicate_rows += sum(1 for r in chunk if r.valid and r.skip)
                batch.save()
            if progress:
                progress(batch)
    return batch_validated(batch, table, lines)


# --- writing -----------------------------------------------------------------------------------


def _reserve(model: type, count: int) -> int:
    """The first of ``count`` new ids (from the sequence on PostgreSQL; after the highest on
    SQLite, whose writers are serialised: this runs inside the chunk's write transaction)."""
    table = model._meta.db_table  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            return int(cursor.fetchone()[0]) - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_table(model)}")  # noqa: S608
        return int(cursor.fetchone()[0]) + 1


def payment_reference(batch: ImportBatch) -> str:
    return f"import #{batch.pk}"


class Writer:
    """Writes the valid rows of a chunk: new orders (whole), lines added to the orders this
    import created in an earlier chunk, their payments, the products the catalogue lacks and
    the daily sales summary's deltas. Called inside the chunk's transaction."""

    def __init__(self, batch: ImportBatch, matcher: Matcher) -> None:
        self.batch, self.matcher = batch, matcher
        self.teams: dict[int | None, int | None] = {None: None}
        self.now = timezone.now()

    def _team(self, owner_id: int | None) -> int | None:
        if owner_id not in self.teams:
            from kehu.accounts.models import User

            owner = User.objects.filter(pk=owner_id).first() if owner_id else None
            team = primary_team(user=owner)
            self.teams[owner_id] = team.pk if team else None
        return self.teams[owner_id]

    def _products(self, rows: list[Line]) -> None:
        for row in rows:
            if row.product_id is not None:
                continue
            key = "c:" + row.product_code if row.product_code else "n:" + row.product_name
            pk = self.matcher.products.get(key)
            if pk is None:
                code = row.product_code or f"imp{self.batch.pk}-r{row.number}"
                product = Product.objects.create(
                    code=code,
                    name=row.product_name or code,
                    list_price=row.unit_price or Decimal(0),
                    currency=row.currency,
                    import_batch=self.batch,
                )
                pk = self.matcher.products[key] = product.pk
            row.product_id = pk

    def write(self, rows: list[Line], existing: dict[str, tuple[int, int, int | None]]) -> None:
        rows = [r for r in rows if r.valid and not r.skip]
        if not rows:
            return
        self._products(rows)
        orders: dict[str, list[Line]] = {}
        for row in rows:
            orders.setdefault(row.order_number, []).append(row)
        fresh = [number for number in orders if number not in existing]
        customers = sorted({c for n in fresh if (c := orders[n][0].customer_id) is not None})
        buying = {
            c
            for (c,) in _select(
                f"SELECT DISTINCT customer_id FROM {_table(Order)} "  # noqa: S608
                "WHERE customer_id IN ({marks}) AND status <> %s",
                customers,
                [Order.Status.CANCELLED.value],
            )
        }
        first_id = _reserve(Order, len(fresh)) if fresh else 0
        ids = {number: first_id + i for i, number in enumerate(fresh)}
        order_rows, line_rows, payment_rows = [], [], []
        deltas: dict[tuple[Any, ...], list[Any]] = defaultdict(
            lambda: [0, Decimal(0), 0, Decimal(0)]
        )
        added: dict[int, tuple[Decimal, Decimal]] = {}
        for number, lines in orders.items():
            head = lines[0]
            customer = head.customer_id
            assert customer is not None  # noqa: S101 (a valid row has its customer)
            owner = self.matcher.owners.get(customer)
            team = self._team(owner)
            total = sum((r.amount for r in lines), Decimal(0))
            paid = sum((r.paid for r in lines), Decimal(0))
            status = Order.Status.CANCELLED if head.cancelled else Order.Status.DELIVERED
            key = (head.ordered_on, owner, team, head.currency)
            if number in ids:
                pk = ids[number]
                first = not head.cancelled and customer not in buying
                if not head.cancelled:
                    buying.add(customer)
                    delta = deltas[key]
                    delta[0] += 1
                    delta[1] += total
                    delta[2] += int(first)
                order_rows.append((
                    pk, number, customer, head.ordered_on, head.channel, status.value, owner,
                    team, head.currency, total, paid, first, "", self.batch.pk, self.now,
                    self.now,
                ))  # fmt: skip
            else:
                pk = existing[number][0]
                added[pk] = (total, paid)
                if not head.cancelled:
                    deltas[key][1] += total
            line_rows += [
                (pk, r.product_id, r.quantity, r.unit_price, r.discount, r.amount) for r in lines
            ]
            if paid > 0:
                payment_rows.append((
                    pk, customer, paid, head.currency, head.ordered_on, owner, team, head.method,
                    payment_reference(self.batch), self.batch.created_by_id, self.now, self.now,
                ))  # fmt: skip
                deltas[(head.ordered_on, owner, team, head.currency)][3] += paid
        with connection.cursor() as cursor:
            insert_rows(cursor, Order._meta.db_table, (
                "id", "number", "customer_id", "ordered_on", "channel", "status", "owner_id",
                "team_id", "currency", "total_amount", "paid_amount", "first_for_customer",
                "notes", "import_batch_id", "created_at", "updated_at",
            ), order_rows)  # fmt: skip
            insert_rows(cursor, OrderLine._meta.db_table, (
                "order_id", "product_id", "quantity", "unit_price", "discount_percent", "amount",
            ), line_rows)  # fmt: skip
            insert_rows(cursor, Payment._meta.db_table, (
                "order_id", "customer_id", "amount", "currency", "received_on", "owner_id",
                "team_id", "method", "reference", "recorded_by_id", "created_at", "updated_at",
            ), payment_rows)  # fmt: skip
            for pk, (total, paid) in added.items():
                cursor.execute(
                    f"UPDATE {_table(Order)} SET total_amount = total_amount + %s, "  # noqa: S608
                    "paid_amount = paid_amount + %s WHERE id = %s",
                    [total, paid, pk],
                )
            insert_rows(cursor, SalesDaily._meta.db_table, (
                "day", "owner_id", "team_id", "currency", "orders", "revenue", "new_customers",
                "collected", "won", "lost",
            ), [(*key, *values, 0, 0) for key, values in deltas.items()])  # fmt: skip


def run_import(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Import the orders, continuing after the checkpoint if an earlier run stopped."""
    if batch.status in {ImportBatch.Status.DONE, ImportBatch.Status.UNDONE}:
        return batch
    table = open_table(batch)
    if not batch.checked_hash or file_hash(table.path) != batch.checked_hash:
        raise ValidationError(NOT_CHECKED)
    start = batch.processed_rows
    if start == 0:
        ImportRow.objects.filter(batch=batch).delete()
        batch.created_count = batch.updated_count = batch.skipped_count = 0
        batch.invalid_rows = 0
        batch.total_rows = batch.total_rows or table.count_lines()
    batch.status = ImportBatch.Status.IMPORTING
    batch.error = ""
    batch.save()
    check = FileCheck(batch, table)
    with fewer_collections():
        check.run()  # the whole file again: which orders cannot be imported
        writer = Writer(batch, check.matcher)
        for chunk in check.chunks(start):
            for row in chunk:
                check.again(row)
            existing = check.matcher.existing_orders({r.order_number for r in chunk if r.valid})
            report: list[tuple[int, str, int | None, list[Any]]] = []
            for row in chunk:
                check.judge(row, existing)
                if not row.valid:
                    report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
                elif row.skip:
                    report.append(
                        (row.number, ImportRow.Outcome.SKIPPED, row.customer_id, _skip_problem(row))
                    )
                else:
                    report.append((row.number, ImportRow.Outcome.CREATED, row.customer_id, []))
            with transaction.atomic():
                # The batch row first: on SQLite this takes the write lock before ids are chosen.
                batch.processed_rows += len(chunk)
                batch.save(update_fields=["processed_rows", "updated_at"])
                writer.write(chunk, existing)
                report_rows(batch, report)
                batch.created_count += sum(1 for r in chunk if r.valid and not r.skip)
                batch.skipped_count += sum(1 for r in chunk if r.valid and r.skip)
                batch.invalid_rows += sum(1 for r in chunk if not r.valid)
                batch.save()
            if progress:
                progress(batch)
    batch.status = ImportBatch.Status.DONE
    batch.total_rows = batch.processed_rows
    batch.finished_at = timezone.now()
    batch.save()
    return batch


# --- undo ----------------------------------------------------------------------------------------

UNDO_CHUNK_SIZE = 2000


def undo_rows(batch: ImportBatch) -> int:
    """How many orders an undo of this batch goes through."""
    return Order.objects.filter(import_batch=batch).count()


def undo_chunk(batch_id: int) -> ImportBatch:
    """Delete the next orders this import created, in one transaction with the checkpoint and
    the summary's deltas. An order someone has since corrected or recorded a payment against
    is kept (counted as archived); the import's own payments go with their orders."""
    from kehu.sales.models import SalesCorrection

    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch_id).update(updated_at=timezone.now())
        batch = ImportBatch.objects.get(pk=batch_id)
        if batch.status != ImportBatch.Status.UNDOING or batch.undone_rows >= batch.undo_rows:
            return batch
        # Kept orders stay in the batch, and have lower ids than any not looked at yet.
        start = batch.archived_count
        orders = list(
            Order.objects.filter(import_batch_id=batch_id)
            .order_by("id")
            .values_list("id", "ordered_on", "owner_id", "team_id", "currency", "status",
                         "total_amount", "first_for_customer")[start : start + UNDO_CHUNK_SIZE]
        )  # fmt: skip
        ids = [o[0] for o in orders]
        reference = payment_reference(batch)
        kept = set(
            Payment.objects.filter(order_id__in=ids)
            .exclude(reference=reference, reversed_at__isnull=True)
            .values_list("order_id", flat=True)
        )
        kept |= set(
            SalesCorrection.objects.filter(order_id__in=ids).values_list("order_id", flat=True)
        )
        doomed = [o for o in orders if o[0] not in kept]
        doomed_ids = [o[0] for o in doomed]
        deltas: dict[tuple[Any, ...], list[Any]] = defaultdict(
            lambda: [0, Decimal(0), 0, Decimal(0)]
        )
        for _pk, day, owner, team, currency, status, total, first in doomed:
            if status != Order.Status.CANCELLED:
                delta = deltas[(day, owner, team, currency)]
                delta[0] -= 1
                delta[1] -= total
                delta[2] -= int(first)
        payments = Payment.objects.filter(order_id__in=doomed_ids, reference=reference)
        for day, owner, team, currency, amount in payments.values_list(
            "received_on", "owner_id", "team_id", "currency", "amount"
        ):
            deltas[(day, owner, team, currency)][3] -= amount
        payments.delete()
        OrderLine.objects.filter(order_id__in=doomed_ids).delete()
        Order.objects.filter(pk__in=doomed_ids).delete()
        with connection.cursor() as cursor:
            insert_rows(cursor, SalesDaily._meta.db_table, (
                "day", "owner_id", "team_id", "currency", "orders", "revenue", "new_customers",
                "collected", "won", "lost",
            ), [(*key, *values, 0, 0) for key, values in deltas.items()])  # fmt: skip
        batch.undone_rows = batch.undone_rows + len(orders) if orders else batch.undo_rows
        batch.deleted_count += len(doomed)
        batch.archived_count += len(kept)
        if batch.undone_rows >= batch.undo_rows:
            # Products this import created that no order uses any more.
            used = OrderLine.objects.filter(product__import_batch=batch).values("product_id")
            Product.objects.filter(import_batch=batch).exclude(pk__in=used).delete()
        batch.save(update_fields=["undone_rows", "deleted_count", "archived_count", "updated_at"])
    return batch
