"""The public satisfaction link (满意度回访链接) sent to a customer when a case is resolved.

The link carries a signed, timestamped token naming the case and a random nonce stored on the
case. It works once: a rating, from the link or entered by the agent, spends it; issuing a new
link replaces the nonce, so older links stop working too.
"""

import secrets

from django.core import signing

SALT = "kehu.service.rating-link"
MAX_AGE_SECONDS = 30 * 24 * 3600


class RatingLinkProblem(Exception):
    """``invalid``, ``expired`` or ``used``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def rating_token(*, case_id: int, nonce: str) -> str:
    return signing.dumps({"c": case_id, "n": nonce}, salt=SALT, compress=False)


def rating_token_read(token: str) -> tuple[int, str]:
    """The (case id, nonce) the token names; raises ``RatingLinkProblem`` when it is forged,
    damaged or older than 30 days."""
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise RatingLinkProblem("expired") from None
    except signing.BadSignature:
        raise RatingLinkProblem("invalid") from None
    if not isinstance(value, dict) or not isinstance(value.get("c"), int):
        raise RatingLinkProblem("invalid")
    return value["c"], str(value.get("n", ""))
