"""What an order-history file's columns can be: the fields, their Chinese and English header
names, and the mapping's checks."""

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.customers.models import Customer, CustomField
from kehu.imports.mapping import Target, normalise_header
from kehu.imports.models import ImportBatch
from kehu.sales.models import Currency

ORDERS = "orders"
CURRENCIES = frozenset(Currency.values)
# Rows checked, matched and written together, one transaction each: at 1,000,000 lines 50,000
# commits 20 times where 5,000 committed 200 (each commit writes and syncs the pages the chunk
# touched in the order indexes: 5,000 → 50,000 took a 200,000-line import from 31.5 to 21.5 s).
CHUNK_SIZE = 50_000
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


def header_words(
    synonyms: Mapping[str, Sequence[str]] = SYNONYMS, fields: Mapping[str, Any] = FIELDS
) -> dict[str, str]:
    """Normalised header word -> field code, from the synonyms and the labels in both
    languages (the order import's, unless given)."""
    words: dict[str, str] = {}
    for code, field_synonyms in synonyms.items():
        for word in field_synonyms:
            words.setdefault(normalise_header(word), code)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in fields.items():
                words.setdefault(normalise_header(str(label)), code)
    return words


def suggest(headers: list[str], words: Mapping[str, str] | None = None) -> dict[str, str]:
    """Header -> field code for the headers ``words`` (the order import's, unless given)
    recognise; each field once."""
    words = header_words() if words is None else words
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
