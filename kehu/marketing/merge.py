"""Merge fields (合并字段) in campaign messages: a small, safe subset of Django's template
language over a whitelist of non-sensitive fields.

A message is rendered by its own template engine without loaders or tag libraries: only
``{{ field }}`` with filters and ``{% if %}`` are allowed, values are autoescaped in HTML, a
missing value renders empty (``{{ name|default:"顾客" }}`` gives a default) and never raises.
Sensitive fields (ID number, home address, income, family, sensitive custom fields) are never
in the context, so no template can show them.
"""

import functools
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from kehu.customers.models import Customer

ALLOWED_TAGS = frozenset({"if", "elif", "else", "endif"})
TAG = re.compile(r"{%-?\s*(\w+)")

# The merge fields a marketer may use, by name, with what each holds.
FIELDS = ("name", "salutation", "owner", "company", "city", "campaign", "unsubscribe_url")

ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=True)
TEXT_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False)


@functools.lru_cache(maxsize=128)
def _compiled(text: str, autoescape: bool) -> Template:
    """A message compiled once (a batch renders the same message for every member)."""
    return (ENGINE if autoescape else TEXT_ENGINE).from_string(text)


def check_template(text: str, field: str = "body") -> None:
    """Raise ``ValidationError`` on ``field`` if ``text`` uses a tag beyond ``if`` or does not
    parse."""
    for tag in TAG.findall(text):
        if tag not in ALLOWED_TAGS:
            raise ValidationError(
                {
                    field: [
                        _("Only merge fields and “if” may be used, not “%(tag)s”.") % {"tag": tag}
                    ]
                }
            )
    try:
        ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError({field: [_("The merge fields cannot be read: %s") % exc]}) from None


def salutation(customer: Customer, language: str) -> str:
    """张先生 / 李女士, Mr 张 / Ms 李; the name alone when the gender is not known."""
    gender = ""
    if customer.kind == Customer.Kind.PERSON:
        person = getattr(customer, "person", None)
        gender = getattr(person, "gender", "") or ""
    name = customer.name
    if language.startswith("zh"):
        surname = name[:1]
        return {"male": f"{surname}先生", "female": f"{surname}女士"}.get(gender, name)
    return {"male": f"Mr {name}", "female": f"Ms {name}"}.get(gender, name)


def context_for(
    customer: Customer, *, language: str, campaign: str = "", unsubscribe_url: str = ""
) -> dict[str, Any]:
    """The whitelisted merge fields of ``customer`` (read with person, organization and owner
    selected). Custom fields: only the plain (non-sensitive) ones, as ``custom.CODE``."""
    person = getattr(customer, "person", None) if customer.kind == Customer.Kind.PERSON else None
    if customer.kind == Customer.Kind.ORGANIZATION:
        company = customer.name
    else:
        company = getattr(person, "employer", "") or ""
    owner = customer.owner
    custom = {
        str(k): v
        for k, v in (customer.custom_values or {}).items()
        if isinstance(v, str | int | float)
    }
    return {
        "name": customer.name,
        "salutation": salutation(customer, language),
        "owner": str(owner) if owner else "",
        "company": company,
        "city": customer.city,
        "campaign": campaign,
        "unsubscribe_url": unsubscribe_url,
        "custom": custom,
    }


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(*, subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """The message for one person. A template that no longer parses renders as written, with
    its merge fields left out, rather than failing the whole send."""
    try:
        html_body: str = _compiled(body, True).render(Context(context)).strip()
        text_body: str = _compiled(body, False).render(Context(context, autoescape=False))
        subject_text: str = TEXT_ENGINE.from_string(subject).render(
            Context(context, autoescape=False)
        )
    except TemplateSyntaxError:
        html_body = text_body = body
        subject_text = subject
    subject_text = " ".join(strip_tags(subject_text).split())[:200]
    html = "<br>\n".join(html_body.splitlines())
    return Rendered(subject=subject_text, text=strip_tags(text_body).strip(), html=html)


def render_plain(*, body: str, context: dict[str, Any]) -> str:
    """A text message (SMS) for one person: no escaping, no markup."""
    try:
        text = _compiled(body, False).render(Context(context, autoescape=False))
        return strip_tags(text).strip()
    except TemplateSyntaxError:
        return body
