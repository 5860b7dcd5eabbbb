"""``GET /api/v1/search?q=``: customers and contacts by name, pinyin, phone, exact keys, tags.

Answers only what the caller may see; sensitive values come masked. No total count: it could
tell a rep that matches exist outside their scope; ``more`` says whether there were more
matches in scope than ``limit``.
"""

from ninja import Query, Router, Schema

from kehu.core.api import ERROR_RESPONSES
from kehu.core.http import AuthenticatedRequest
from kehu.search.selectors import Hit, customer_search

router = Router(tags=["search"])


class SearchIn(Schema):
    q: str
    limit: int = 20


class SearchHitOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    grade: str
    city: str
    owner: str | None
    own: bool
    rank: str  # exact, exact_pinyin, prefix, substring
    matched_on: str  # name, contact, phone, contact_phone, exact, tag, custom
    matched: str  # a contact's name or a masked phone, when that is what matched
    phones: list[str]  # masked
    url: str


class SearchOut(Schema):
    query: str
    results: list[SearchHitOut]
    more: bool


RANKS = ("exact", "exact_pinyin", "prefix", "substring")
SOURCES = {1: "name", 2: "contact", 3: "phone", 4: "contact_phone", 5: "exact", 6: "tag"}


def _hit(hit: Hit) -> SearchHitOut:
    customer = hit.customer
    return SearchHitOut(
        id=customer.pk,
        name=customer.name,
        kind=customer.kind,
        status=customer.status,
        grade=customer.grade,
        city=customer.city,
        owner=customer.owner.username if customer.owner else None,
        own=hit.own,
        rank=RANKS[hit.rank],
        matched_on=SOURCES.get(hit.source, "custom"),
        matched=hit.matched,
        phones=hit.phones,
        url=customer.get_absolute_url(),
    )


@router.get("/search", response={200: SearchOut, **ERROR_RESPONSES}, summary="Search customers")
def search(request: AuthenticatedRequest, params: Query[SearchIn]) -> SearchOut:
    """Find customers by Chinese name or company (any part, two characters are enough), pinyin
    (zhangwei, zw, 张w), phone (whole or the last 4+ digits), e-mail, ID number or credit code
    (exact), tag or searchable custom field. Best matches first; for a sales rep their own
    customers first. ``limit`` is 1–50."""
    result = customer_search(user=request.user, q=params.q, limit=params.limit)
    return SearchOut(query=result.query, results=[_hit(h) for h in result.hits], more=result.more)
