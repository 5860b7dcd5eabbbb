"""SMS (短信) through a provider interface.

Chinese SMS rules: a message carries the sender's signature in 【】 (added here, once); one
segment holds 70 characters, a longer message is sent as segments of 67 (each segment keeps
3 for the concatenation header). ``KEHU_SMS_PROVIDER`` names the provider class: the
``LoggingProvider`` (default: writes the message to the log, sends nothing) or the
``HttpJsonProvider`` (a JSON-over-HTTPS gateway, documented in docs/marketing.md).
"""

import json
import logging
import math
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

SINGLE_SEGMENT = 70
MULTI_SEGMENT = 67
MAX_SEGMENTS = 10


def with_signature(text: str, signature: str | None = None) -> str:
    """The text with its 【signature】 in front; one already there is not added again."""
    configured = str(settings.KEHU_MARKETING["sms_signature"])
    sig = (signature if signature is not None else configured).strip()
    sig = sig.strip("【】")
    text = text.strip()
    if not sig or text.startswith(f"【{sig}】"):
        return text
    return f"【{sig}】{text}"


def segments(text: str) -> int:
    """How many SMS segments ``text`` (signature included) takes: 70 characters in one, 67 a
    segment beyond. Every character counts one, Chinese or not."""
    n = len(text)
    if n == 0:
        return 0
    if n <= SINGLE_SEGMENT:
        return 1
    return math.ceil(n / MULTI_SEGMENT)


@dataclass(frozen=True)
class SmsResult:
    provider_id: str
    segments: int


class SmsError(Exception):
    """The provider refused or could not be reached; the send may be retried."""


class SmsProvider(Protocol):
    def send(self, *, to: str, text: str) -> SmsResult: ...


class LoggingProvider:
    """Sends nothing: logs the message (the embedded setup, tests, demos)."""

    def send(self, *, to: str, text: str) -> SmsResult:
        provider_id = f"log-{uuid.uuid4().hex[:16]}"
        log.debug("SMS to %s (%s): %s", to[:4] + "****" + to[-2:], provider_id, text)
        return SmsResult(provider_id=provider_id, segments=segments(text))


class HttpJsonProvider:
    """A gateway that takes ``POST {KEHU_SMS_URL}`` with ``Authorization: Bearer KEY`` and
    ``{"to", "text"}`` and answers ``{"id": …}`` (the shape of most Chinese SMS gateways'
    simple APIs). Delivery reports come back to ``/api/v1/campaigns/sms/reports``."""

    timeout = 10

    def send(self, *, to: str, text: str) -> SmsResult:
        config = settings.KEHU_MARKETING
        url = str(config["sms_url"])
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise SmsError("KEHU_SMS_URL must be an https:// address")
        body = json.dumps({"to": to, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {config['sms_key']!s}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                data = json.loads(answer.read() or b"{}")
        except (OSError, ValueError) as exc:
            raise SmsError(str(exc)[:200]) from exc
        if not data.get("id"):
            raise SmsError(str(data.get("error") or "no message id")[:200])
        return SmsResult(provider_id=str(data["id"]), segments=segments(text))


def provider() -> SmsProvider:
    cls = import_string(str(settings.KEHU_MARKETING["sms_provider"]))
    result: SmsProvider = cls()
    return result
