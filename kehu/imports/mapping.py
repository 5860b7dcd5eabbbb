"""What an import can fill (the archive's fields of a kind, plus an organization's contact) and
suggestions of which column goes where, from the column headers in Chinese or English."""

import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.customers.fields import FieldSpec, Type
from kehu.customers.models import Customer, CustomField
from kehu.customers.selectors import field_specs_for

# The channel is chosen for the whole import, not read from a column.
NOT_IMPORTED = frozenset({"source_channel"})

CONTACT_FIELDS: dict[str, str | Promise] = {
    "contact.name": _("contact name"),
    "contact.phone": _("contact phone"),
    "contact.role": _("contact role"),
    "contact.title": _("contact position"),
}

# Header words people use that are not the registry's labels (normalised: lower case, no
# spaces or punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "客户名称", "客户姓名", "客户", "名称", "公司名称", "企业名称",
             "单位名称", "fullname", "customer", "customername", "company", "companyname"),
    "phones": ("手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "联系方式", "移动电话",
               "座机", "mobile", "mobilephone", "phone", "phonenumber", "tel", "telephone", "cell"),
    "emails": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail", "emailaddress"),
    "address": ("地址", "联系地址", "通讯地址", "办公地址", "注册地址", "address"),
    "tags": ("标签", "tag", "tags", "label"),
    "notes": ("备注", "说明", "note", "notes", "remark", "remarks", "comment"),
    "lifecycle_stage": ("阶段", "客户阶段", "生命周期", "stage"),
    "grade": ("等级", "客户等级", "级别", "grade", "level"),
    "person.gender": ("性别", "gender", "sex"),
    "person.birth_date": ("出生日期", "生日", "出生年月", "birthday", "birthdate", "dob",
                          "dateofbirth"),
    "person.id_number": ("身份证号", "身份证", "身份证号码", "证件号", "证件号码", "公民身份号码",
                         "id", "idno", "idnumber", "idcard", "nationalid"),
    "person.home_address": ("家庭地址", "家庭住址", "住址", "居住地址", "homeaddress"),
    "person.employer": ("单位", "工作单位", "公司", "所在单位", "employer", "organization",
                        "workplace"),
    "person.position": ("职位", "职务", "岗位", "头衔", "position", "jobtitle", "title", "job"),
    "person.income_band": ("收入", "年收入", "月收入", "income"),
    "person.native_place": ("籍贯", "nativeplace", "hometown"),
    "person.household_registration": ("户籍", "户口", "户口所在地", "hukou"),
    "person.marital_status": ("婚姻", "婚姻状况", "婚否", "marital", "maritalstatus"),
    "person.highest_degree": ("学历", "最高学历", "degree", "education"),
    "person.school": ("学校", "毕业学校", "毕业院校", "school", "university"),
    "person.major": ("专业", "major"),
    "organization.credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "税号",
                                 "creditcode", "uscc", "unifiedsocialcreditcode", "taxid"),
    "organization.legal_representative": ("法人", "法人代表", "法定代表人", "legalrepresentative",
                                          "legalperson"),
    "organization.industry": ("行业", "所属行业", "industry", "sector"),
    "organization.size_band": ("规模", "企业规模", "人员规模", "size", "companysize"),
    "organization.registered_capital": ("注册资本", "注册资金", "registeredcapital", "capital"),
    "organization.founded_on": ("成立日期", "成立时间", "注册日期", "founded", "foundedon",
                                "establishmentdate"),
    "organization.business_scope": ("经营范围", "businessscope", "scope"),
    "organization.ownership_type": ("企业类型", "公司类型", "所有制", "ownership", "companytype"),
    "organization.credit_rating": ("信用等级", "信用评级", "creditrating", "rating"),
    "contact.name": ("联系人", "联系人姓名", "contact", "contactname", "contactperson"),
    "contact.phone": ("联系人电话", "联系人手机", "contactphone", "contactmobile"),
    "contact.role": ("联系人角色", "contactrole"),
    "contact.title": ("联系人职位", "联系人职务", "contacttitle", "contactposition"),
}  # fmt: skip

_PUNCTUATION = re.compile(r"[\s*＊:：()（）\[\]【】_\-./·]+")


def normalise_header(text: str) -> str:
    return _PUNCTUATION.sub("", text).lower()


@dataclass(frozen=True)
class Target:
    code: str
    label: str


def import_specs(kind: str) -> dict[str, FieldSpec]:
    """The archive fields an import of ``kind`` fills, by code."""
    return {code: spec for code, spec in field_specs_for(kind).items() if code not in NOT_IMPORTED}


def import_targets(kind: str) -> list[Target]:
    """Everything a column can be mapped to, in the registry's order (contacts last), for an
    import of people or organizations (``kehu.imports.kinds`` answers for every kind)."""
    targets = [Target(code, str(spec.label)) for code, spec in import_specs(kind).items()]
    if kind == Customer.Kind.ORGANIZATION:
        targets += [Target(code, str(label)) for code, label in CONTACT_FIELDS.items()]
    return targets


def header_words(kind: str) -> dict[str, str]:
    """Normalised header word -> field code, from labels in both languages and the synonyms;
    a synonym of this kind's field wins over the same word of a field the kind lacks."""
    codes = {t.code for t in import_targets(kind)}
    words: dict[str, str] = {}
    for code, synonyms in SYNONYMS.items():
        if code in codes:
            for word in synonyms:
                words.setdefault(normalise_header(word), code)
    specs = import_specs(kind)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, spec in specs.items():
                words.setdefault(normalise_header(str(spec.label)), code)
                words.setdefault(normalise_header(spec.attr), code)
            if kind == Customer.Kind.ORGANIZATION:
                for code, label in CONTACT_FIELDS.items():
                    words.setdefault(normalise_header(str(label)), code)
    customs = CustomField.objects.filter(is_active=True, applies_to__in=[kind, "both"])
    for custom in customs:
        for text in (custom.label, custom.label_en, custom.code):
            if text:
                words.setdefault(normalise_header(text), f"custom.{custom.code}")
    return words


def suggest_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """Column header -> field code for the columns recognised; each field used once (people
    and organizations; ``kehu.imports.kinds`` answers for every kind)."""
    words = header_words(kind)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        code = words.get(normalise_header(header))
        if code and code not in used:
            mapping[header] = code
            used.add(code)
    return mapping


def choice_codes(spec: FieldSpec) -> dict[str, str]:
    """For a choice field: what a file may say (code, label in Chinese or English) -> code."""
    codes: dict[str, str] = {}
    for code, label in spec.choices:
        codes[code.lower()] = code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                codes[str(label).strip().lower()] = code
    if spec.type == Type.CHOICE and spec.code == "person.gender":
        codes.update({"男": "male", "女": "female", "m": "male", "f": "female"})
    return codes
