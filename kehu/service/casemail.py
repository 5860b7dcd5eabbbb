"""E-mail addresses of cases: the plus-addressed reply-to that brings a customer's answer back to
its case, signed so that nobody attaches text to a case by guessing its number."""

import re

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "kehu.service.casemail"
TAG = re.compile(r"\+SR-(\d{6,})\.([0-9a-f]{12})@", re.IGNORECASE)
SUBJECT_NUMBER = re.compile(r"\[SR-(\d{6,})\]")


def _signature(case_id: int) -> str:
    return salted_hmac(SALT, str(case_id)).hexdigest()[:12]


def reply_to_address(case_id: int) -> str:
    """``service+SR-000123.<sig>@example.com`` from ``KEHU_SERVICE_REPLY_TO``; '' when unset."""
    base = settings.KEHU_SERVICE_REPLY_TO
    if "@" not in base:
        return ""
    local, domain = base.rsplit("@", 1)
    return f"{local}+SR-{case_id:06d}.{_signature(case_id)}@{domain}"


def case_id_from_addresses(addresses: list[str]) -> int | None:
    """The case a reply-to address names, if its signature is right."""
    for address in addresses:
        match = TAG.search(address)
        if match and constant_time_compare(match.group(2).lower(), _signature(int(match[1]))):
            return int(match[1])
    return None


def case_id_from_subject(subject: str) -> int | None:
    match = SUBJECT_NUMBER.search(subject)
    return int(match[1]) if match else None
