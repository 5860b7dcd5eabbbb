"""Import templates (导入模板): for each kind of import, a file whose first row holds headers the
column mapper recognises, in the user's language, and one example row; as CSV (UTF-8 with a
byte-order mark, so Excel opens it) or XLSX (phones, ID numbers and credit codes as text)."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.customers.models import Contact, Customer, PersonProfile
from kehu.exports.writers import write_csv, write_xlsx
from kehu.imports import mapping, orders
from kehu.imports.orders.fields import EXTERNAL
from kehu.sales.models import Order, Payment

KINDS = (Customer.Kind.PERSON.value, Customer.Kind.ORGANIZATION.value, orders.ORDERS)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Example values, as a file would hold them (the data is Chinese, whatever the UI's language);
# choice fields take their label in the user's language (see ``_example``).
EXAMPLES = {
    "name": "张伟",
    "tags": "老客户, 北京",
    "notes": "2026年春季展会上认识",
    "phones": "138 0013 8000",
    "emails": "zhangwei@example.com",
    "address": "北京市朝阳区建国路1号",
    "person.birth_date": "1990-03-07",
    "person.id_number": "110101199003070011",
    "person.household_registration": "北京市东城区",
    "person.native_place": "山东济南",
    "person.height_cm": "175",
    "person.weight_kg": "70",
    "person.home_address": "北京市东城区东四十条2号",
    "person.preferred_products": "绿茶",
    "person.preferred_channels": "门店",
    "person.purchase_style": "看重品质",
    "person.employer": "北京华兴科技有限公司",
    "person.position": "采购经理",
    "person.income_band": "20-30万",
    "person.career_attitude": "稳健",
    "person.marital_status": "已婚",
    "person.spouse": "李娜",
    "person.children": "一子",
    "person.highest_degree": "本科",
    "person.major": "市场营销",
    "person.school": "北京大学",
    "organization.credit_code": "91350100M000100Y43",
    "organization.legal_representative": "王强",
    "organization.industry": "制造业",
    "organization.size_band": "100-499人",
    "organization.registered_capital": "500",
    "organization.founded_on": "2010-05-18",
    "organization.ownership_type": "有限责任公司",
    "organization.business_scope": "电子元器件的研发、生产和销售",
    "organization.market_capacity": "华东地区年需求约2亿元",
    "organization.revenue_band": "1-5亿元",
    "organization.performance_trend": "增长",
    "organization.product_structure": "传感器、控制模块",
    "organization.organisation_notes": "采购部负责供应商选择",
    "organization.competitiveness": "交货快，价格中等",
    "organization.competitors": "上海联创电子",
    "organization.credit_rating": "AA",
    "organization.credit_limit": "200000",
    "contact.name": "李娜",
    "contact.phone": "139 1234 5678",
    "contact.title": "采购经理",
}
ORGANIZATION_NAME = "福州华兴电子有限公司"
ORDER_EXAMPLES = {
    "phone": "138 0013 8000",
    "customer_name": "张伟",
    "order_number": "DD20260301-001",
    "line": "1",
    "ordered_on": "2026-03-01",
    "product_code": "TEA-250",
    "product_name": "西湖龙井 250克",
    "quantity": "2",
    "unit_price": "128.00",
    "amount": "256.00",
    "currency": "CNY",
    "paid": "256.00",
}
# Choice fields: the value whose label (in the user's language) the example shows.
CHOICE_EXAMPLES = {
    "lifecycle_stage": (Customer.Stage, Customer.Stage.CUSTOMER),
    "grade": (Customer.Grade, Customer.Grade.IMPORTANT),
    "person.gender": (PersonProfile.Gender, PersonProfile.Gender.MALE),
    "contact.role": (Contact.Role, Contact.Role.PURCHASER),
    "channel": (Order.Channel, Order.Channel.STORE),
    "status": (Order.Status, Order.Status.DELIVERED),
    "payment_method": (Payment.Method, Payment.Method.WECHAT),
}
# The columns a spreadsheet must keep as text.
TEXT_CODES = frozenset(
    {"phones", "person.id_number", "organization.credit_code", "contact.phone", "phone",
     "id_number", "credit_code", "customer_number"}
)  # fmt: skip


# What a person's or an organization's name column is called (姓名, 公司名称): clearer than the
# registry's one word for both.
NAME_HEADERS = {
    Customer.Kind.PERSON.value: gettext_lazy("Full name"),
    Customer.Kind.ORGANIZATION.value: gettext_lazy("Company name"),
}


@dataclass(frozen=True)
class TemplateColumn:
    code: str
    header: str
    example: str


def _example(code: str, kind: str) -> str:
    if code in CHOICE_EXAMPLES:
        choices, value = CHOICE_EXAMPLES[code]
        return str(choices(value).label)
    if kind == orders.ORDERS:
        return ORDER_EXAMPLES.get(code, "")
    if code == "name" and kind == Customer.Kind.ORGANIZATION:
        return ORGANIZATION_NAME
    return EXAMPLES.get(code, "")


def _header(code: str, label: str, synonyms: tuple[str, ...], words: dict[str, str]) -> str:
    """The field's label in the user's language, unless the mapper would read that as another
    field: then the first of its header words that maps to it."""
    for text in (capfirst(label), *synonyms):
        if words.get(mapping.normalise_header(text)) == code:
            return text
    return capfirst(label)


def template_columns(kind: str) -> list[TemplateColumn]:
    """The template's columns for an import of ``kind``, in the user's language: every field
    an import fills, in the order the mapping page lists them (an order-history file names its
    customer by one of the keys; the external-reference fields, one per custom field, are
    left out)."""
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Choose what the file holds.")]})
    if kind == orders.ORDERS:
        words = orders.header_words()
        targets = [t for t in orders.targets() if not t.code.startswith(EXTERNAL)]
        synonyms = orders.SYNONYMS
    else:
        words = mapping.header_words(kind)
        targets = mapping.import_targets(kind)
        synonyms = mapping.SYNONYMS
    # A custom field's example is left empty: nobody here knows what it holds.
    return [
        TemplateColumn(
            target.code,
            _header(
                target.code,
                str(NAME_HEADERS[kind]) if target.code == "name" else target.label,
                synonyms.get(target.code, ()),
                words,
            ),
            _example(target.code, kind),
        )
        for target in targets
    ]


def template_file(kind: str, file_format: str) -> bytes:
    """The template of ``kind`` as the bytes of a CSV or XLSX file."""
    if file_format not in FORMATS:
        raise ValidationError({"format": [_("Choose CSV or XLSX.")]})
    columns = template_columns(kind)
    header = [column.header for column in columns]
    rows = [[column.example for column in columns]]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"template.{file_format}"
        if file_format == "csv":
            write_csv(path, header, rows)
        else:
            text = [i for i, column in enumerate(columns) if column.code in TEXT_CODES]
            write_xlsx(path, header, rows, title=_("Import template"), text_columns=text)
        return path.read_bytes()


def kind_label(kind: str) -> str:
    """What a template's file holds, in words: 个人, 组织, 订单历史."""
    return str(_("Order history") if kind == orders.ORDERS else Customer.Kind(kind).label)


def template_name(kind: str, file_format: str) -> str:
    """The name the template is downloaded under: 导入模板-个人.xlsx, import-template-Person.csv…"""
    stem = _("import-template")
    return f"{stem}-{kind_label(kind)}.{file_format}"
