"""The token of a public web form page: proof that a submission comes from the page Kehu served.

Django's CSRF protection rests on a cookie, and browsers do not send a SameSite cookie from a
page embedded in another site's iframe, so an embedded form could never pass it. The public
form keeps no session and sets no cookie; instead the page carries this signed, timestamped token
naming its form. A submission must bring a token for the same form, at least a moment old (bots
post at once) and not older than a few hours.
"""

import time

from django.core import signing

SALT = "kehu.intake.web-form"
MIN_AGE_SECONDS = 2
MAX_AGE_SECONDS = 6 * 3600


class TokenProblem(Exception):
    """``expired``, ``too_fast`` or ``invalid``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def form_token(slug: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(slug)


def form_token_check(token: str, slug: str, *, min_age: float = MIN_AGE_SECONDS) -> None:
    """Raise ``TokenProblem`` unless ``token`` was issued for ``slug`` within the allowed ages."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign(token, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise TokenProblem("expired") from None
    except signing.BadSignature:
        raise TokenProblem("invalid") from None
    if value != slug:
        raise TokenProblem("invalid")
    # The signer does not return the time; read it back from the token itself.
    issued = signing.b62_decode(token.rsplit(signer.sep, 2)[-2])
    if time.time() - issued < min_age:
        raise TokenProblem("too_fast")
