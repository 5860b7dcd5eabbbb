"""One row of an order-history file, read and checked on its own (values, dates, amounts,
choices), before anything is looked up in the archive."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.core.idcard import parse_id_number
from kehu.core.text import is_plain_line, validate_plain_text
from kehu.customers.values import lookup_hash
from kehu.imports.engine import (
    PhoneCleaner,
    cell_date,
)
from kehu.imports.orders.fields import (
    CENT,
    CURRENCIES,
    CUSTOMER_KEYS,
    EXTERNAL,
    MAX_AMOUNT,
    MILLI,
    RESERVED_NUMBER,
)
from kehu.sales.models import Currency, Order, Payment


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


def word_list(words: list[str]) -> str:
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
        raw = self.values(row, cells)
        self.customer(row, raw)
        self._order(row, raw)
        self._product(row, raw)
        self._money(row, raw)
        return row

    def values(self, row: Line, cells: list[str]) -> dict[str, str]:
        """The mapped cells that hold a value, by field code; a cell that is not plain text is
        a problem of ``row`` (and left out)."""
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
        return raw

    def customer(self, row: Line, raw: dict[str, str]) -> None:
        """The key naming ``row``'s customer (its first one of number, ID number, credit code,
        external reference, phone; cleaned), or a problem. Also used by the membership import
        (``kehu.loyalty.member_import``)."""
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
                row.ordered_on = cell_date(text)
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
