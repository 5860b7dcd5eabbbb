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


class SearchRecordOut(Schema):
    kind: str  # order, case, opportunity
    number: str
    title: str
    customer: str
    url: str


class SearchOut(Schema):
    query: str
    results: list[SearchHitOut]
    more: bool
    narrow: bool  # one character with more matches than shown: type more to narrow
    records: list[SearchRecordOut]  # the order, case or opportunity a number names


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
    """Find customers by Chinese name or company (any part; one character finds names holding
    it, with ``narrow`` when there are more than shown), pinyin (zhangwei, zw, 张w, 曾w), phone
    (whole, the last 4+ digits or the first 7+), e-mail, ID number or credit code (exact), tag
    or searchable custom field; and the order (SO000000123), case (SR-000123) or opportunity
    (OP-000123) a number names, in ``records``. Best matches first; for a sales rep their own
    customers first. Only what the caller may see. ``limit`` is 1–50."""
    result = customer_search(user=request.user, q=params.q, limit=params.limit)
    return SearchOut(
        query=result.query,
        results=[_hit(h) for h in result.hits],
        more=result.more,
        narrow=result.narrow,
        records=[
            SearchRecordOut(kind=r.kind, number=r.number, title=r.title, customer=r.customer,
                            url=r.url)
            for r in result.records
        ],
    )  # fmt: skip
