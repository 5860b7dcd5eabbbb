"""The personal one-time survey link (个人问卷链接): a signed, timestamped token naming the
invitation and a random nonce stored on it. An answer spends it; a new link replaces the nonce."""

import secrets

from django.core import signing

SALT = "kehu.surveys.invitation"
MAX_AGE_SECONDS = 60 * 24 * 3600


class LinkProblem(Exception):
    """``invalid``, ``expired``, ``used`` or ``closed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def invitation_token(*, invitation_id: int, nonce: str) -> str:
    return signing.dumps({"i": invitation_id, "n": nonce}, salt=SALT, compress=False)


def invitation_token_read(token: str) -> tuple[int, str]:
    """The (invitation id, nonce) the token names; raises ``LinkProblem``."""
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise LinkProblem("expired") from None
    except signing.BadSignature:
        raise LinkProblem("invalid") from None
    if not isinstance(value, dict) or not isinstance(value.get("i"), int):
        raise LinkProblem("invalid")
    return value["i"], str(value.get("n", ""))
