"""Reads of the knowledge base, scoped by reader.

Internal readers see every published article (internal and public), their own articles in any
status, and what they review; knowledge managers see everything. The public FAQ sees published
public articles only (``public_articles``): an internal article never shows there.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString

from kehu.accounts.models import User
from kehu.core.access import can_manage_knowledge, can_read_knowledge
from kehu.knowledge import terms
from kehu.knowledge.models import (
    WAITING,
    Article,
    ArticleAttachment,
    ArticleStatus,
    ArticleTerm,
    Audience,
    Category,
    Expert,
    Question,
    QuestionChannel,
)
from kehu.knowledge.rendering import highlight, plain_text
from kehu.sales.models import Product
from kehu.search.filters import TOP

STALE_AFTER_MONTHS = 12
SEARCH_LIMIT = 50
# A query word's prefix (tuih, th) naming more index terms than this is searched by reading
# all its rows rather than each term's best rows.
MAX_TERMS = 32
# A query word with at most this many index rows leads a search of several words: the others
# are looked up for each of its articles.
DRIVE_MAX = 8_000


def articles_visible_to(user: User) -> QuerySet[Article]:
    if not can_read_knowledge(user):
        return Article.objects.none()
    if can_manage_knowledge(user):
        return Article.objects.all()
    reviewing = Article.reviewers.through.objects.filter(user=user).values("article_id")
    return Article.objects.filter(
        Q(status=ArticleStatus.PUBLISHED) | Q(owner=user) | Q(pk__in=reviewing)
    )


def article_attachment_get_for_user(*, user: User, attachment_id: int) -> ArticleAttachment:
    """An attachment of an article ``user`` may read (else ``Http404``)."""
    attachment = (
        ArticleAttachment.objects.select_related("article")
        .filter(pk=attachment_id, article__in=articles_visible_to(user))
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)


def article_get_for_user(*, user: User, article_id: int) -> Article:
    article = (
        articles_visible_to(user).select_related("category", "owner").filter(pk=article_id).first()
    )
    if article is None:
        raise Http404
    return article


def public_article_get(*, article_id: int) -> Article:
    article = public_articles().select_related("category").filter(pk=article_id).first()
    if article is None:
        raise Http404
    return article


def categories() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by(
        "parent__position", "parent__name", "position", "name"
    )


@dataclass(frozen=True)
class ArticleFilters:
    q: str = ""
    category_id: int | None = None
    product_id: int | None = None
    status: str = ""
    audience: str = ""


@dataclass
class Hit:
    article: Article
    score: int
    snippet: SafeString


def _filtered(queryset: QuerySet[Article], filters: ArticleFilters) -> QuerySet[Article]:
    if filters.category_id:
        queryset = queryset.filter(
            Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id)
        )
    if filters.product_id:
        queryset = queryset.filter(products=filters.product_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.audience:
        queryset = queryset.filter(audience=filters.audience)
    return queryset


Ranked = list[tuple[int, int]]  # (article id, score), best first


def _terms_of(probes: list[terms.Probe]) -> list[str] | None:
    """The index's distinct terms a query word's probes match (a prefix range becomes the few
    terms in it, found by a skip scan: one index seek per term), or None when a prefix names
    more than ``MAX_TERMS``."""
    found = [p.prefix for p in probes if p.exact]
    ranges = [p.prefix for p in probes if not p.exact]
    if not ranges:
        return found
    table = connection.ops.quote_name(ArticleTerm._meta.db_table)
    ctes, selects, params = [], [], []
    for n, prefix in enumerate(ranges):
        ctes.append(
            f"r{n}(term) AS (SELECT MIN(term) FROM {table} WHERE term >= %s AND term < %s "  # noqa: S608
            f"UNION ALL SELECT (SELECT MIN(term) FROM {table} WHERE term > r{n}.term "
            f"AND term < %s) FROM r{n} WHERE r{n}.term IS NOT NULL)"
        )
        selects.append(
            f"SELECT * FROM (SELECT term FROM r{n} WHERE term IS NOT NULL LIMIT {MAX_TERMS + 1}) "  # noqa: S608
            f"AS s{n}"
        )
        params += [prefix, prefix + TOP, prefix + TOP]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH RECURSIVE {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
        rows = [row[0] for row in cursor.fetchall()]
    if len(rows) > MAX_TERMS:
        return None
    return list(dict.fromkeys(found + rows))


def _top_of_one_word(terms_found: list[str], visible: QuerySet[Article], limit: int) -> Ranked:
    """The best ``limit`` visible articles for one query word: each term's index rows are read
    in ranking order (field, usefulness, newest) and stop after ``limit`` visible ones; the
    merged lists keep each article's best row. Exact: an article in the overall first ``limit``
    is among the first ``limit`` of the term that gave it its best row."""
    if not terms_found:
        return []
    # One statement; each part keeps its own ORDER BY and LIMIT (SQLite wants them wrapped).
    # The part is compiled once (the ORM's compiler costs more than the read) and repeated
    # with each term in the place of a marker.
    marker = "\x00term"
    part = (
        ArticleTerm.objects.filter(term=marker)
        .filter(Exists(visible.filter(pk=OuterRef("article_id"))))
        .order_by("-field", "-usefulness", "-article_id")
        .values_list("field", "usefulness", "article_id")[:limit]
    )
    sql, part_params = part.query.sql_with_params()
    at = part_params.index(marker)
    parts: list[str] = []
    params: list[Any] = []
    for n, term in enumerate(terms_found):
        parts.append(f"SELECT * FROM ({sql}) AS t{n}")  # noqa: S608  (compiled by the ORM)
        params += [*part_params[:at], term, *part_params[at + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    ranked: dict[int, int] = {}
    for field, _usefulness, article_id in sorted(rows, reverse=True):
        if article_id not in ranked:
            ranked[article_id] = field
    return list(ranked.items())[:limit]


def _rows_of(terms_found: list[str], cap: int) -> int:
    """How many index rows ``terms_found`` have, counted up to ``cap + 1``."""
    table = connection.ops.quote_name(ArticleTerm._meta.db_table)
    marks = ", ".join(["%s"] * len(terms_found))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE term IN ({marks}) "  # noqa: S608
            f"LIMIT {cap + 1}) AS counted",
            terms_found,
        )
        return int(cursor.fetchone()[0])


def _top_of_words(
    groups: list[list[terms.Probe]], visible: QuerySet[Article], limit: int
) -> Ranked:
    """The best ``limit`` visible articles matching every query word, ranked in the database.

    When one word has few index rows (``DRIVE_MAX``), its articles are read and every other
    word is looked up for each of them: one seek per term and field, since an article's rows
    all carry its usefulness, the index's third column. Otherwise every row of every word is
    read and grouped. Visibility is checked on the ranked candidates a page at a time; nothing
    is cut off."""
    table = connection.ops.quote_name(ArticleTerm._meta.db_table)
    expanded = [_terms_of(probes) for probes in groups]
    known = [found for found in expanded if found]
    if len(known) < len(groups):
        if any(found == [] for found in expanded):
            return []  # a word with no term in the index matches nothing
        driver = None
    else:
        counted = [(_rows_of(found, DRIVE_MAX), n) for n, found in enumerate(known)]
        rows, first = min(counted)
        driver = first if rows <= DRIVE_MAX else None

    def marks(found: list[str]) -> str:
        return ", ".join(["%s"] * len(found))

    params: list[Any] = []
    if driver is not None:
        lookups = []
        for n, found in enumerate(known):
            if n != driver:
                lookups.append(
                    f"(SELECT MAX(o.field) FROM {table} o WHERE o.term IN ({marks(found)}) "  # noqa: S608
                    f"AND o.field IN ({terms.BODY}, {terms.TAG}, {terms.TITLE}) "
                    "AND o.usefulness = d.usefulness "
                    "AND o.article_id = d.article_id)"
                )
                params += found
        params += known[driver]
        sql = (
            f"SELECT article_id, score FROM (SELECT d.article_id, d.usefulness, "  # noqa: S608
            f"d.best + {' + '.join(lookups)} AS score FROM (SELECT article_id, "
            "MAX(field) AS best, MAX(usefulness) AS usefulness "
            f"FROM {table} WHERE term IN ({marks(known[driver])}) GROUP BY article_id) AS d"
            # PostgreSQL would inline ``scored`` and run each lookup twice (filter and sort).
            f"{' OFFSET 0' if connection.vendor == 'postgresql' else ''}) "
            "AS scored WHERE score IS NOT NULL "
            "ORDER BY score DESC, usefulness DESC, article_id DESC LIMIT %s OFFSET %s"
        )
    else:
        parts = []
        for probes in groups:
            conditions = []
            for probe in probes:
                if probe.exact:
                    conditions.append("term = %s")
                    params.append(probe.prefix)
                else:
                    conditions.append("(term >= %s AND term < %s)")
                    params += [probe.prefix, probe.prefix + TOP]
            parts.append(
                "SELECT article_id, MAX(field) AS best, MAX(usefulness) AS usefulness "  # noqa: S608
                f"FROM {table} WHERE {' OR '.join(conditions)} GROUP BY article_id"
            )
        sql = (
            "SELECT article_id, SUM(best) AS score FROM ("  # noqa: S608
            f"{' UNION ALL '.join(parts)}) AS per_word GROUP BY article_id "
            f"HAVING COUNT(*) = {len(groups)} "
            "ORDER BY score DESC, MAX(usefulness) DESC, article_id DESC LIMIT %s OFFSET %s"
        )
    step = max(limit * 4, 200)
    ranked: Ranked = []
    offset = 0
    while len(ranked) < limit:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, step, offset])
            page = cursor.fetchall()
        shown = set(visible.filter(pk__in=[a for a, _ in page]).values_list("id", flat=True))
        ranked += [(a, score) for a, score in page if a in shown]
        if len(page) < step:
            break
        offset += step
    return ranked[:limit]


def article_search(
    *, articles: QuerySet[Article], filters: ArticleFilters, limit: int = SEARCH_LIMIT
) -> list[Hit]:
    """Articles of ``articles`` matching every word of ``filters.q``, best first: a word in the
    title counts more than in a tag, a tag more than the body; then by usefulness (helpful
    votes less unhelpful ones), newest first; views break ties within the page shown.

    One query word (the usual search) reads the index in ranking order and stops after
    ``limit`` rows per term; several words intersect their matches. Snippets are built for the
    returned page only."""
    groups = terms.plan_query(filters.q)
    if not groups:
        return []
    visible = _filtered(articles, filters)
    one_word = _terms_of(groups[0]) if len(groups) == 1 else None
    if one_word is not None:
        ranked = _top_of_one_word(one_word, visible, limit)
    else:
        ranked = _top_of_words(groups, visible, limit)
    scores = dict(ranked)
    rows = Article.objects.filter(pk__in=scores).select_related("category").in_bulk()
    shown = sorted(
        (rows[pk] for pk in scores if pk in rows),
        key=lambda a: (scores[a.pk], a.helpful - a.not_helpful, a.views, a.pk),
        reverse=True,
    )
    needles = terms.needles(filters.q)
    return [Hit(a, scores[a.pk], highlight(plain_text(a.body), needles)) for a in shown]


def article_list(*, user: User, filters: ArticleFilters) -> QuerySet[Article]:
    """The articles a user may see, filtered, newest change first (no text query)."""
    return _filtered(articles_visible_to(user), filters).select_related("category", "owner")


def stale_articles(*, user: User, today: date | None = None) -> QuerySet[Article]:
    """Published articles past their validity date or not reviewed in a year."""
    today = today or timezone.localdate()
    reviewed_before = timezone.now() - timedelta(days=30 * STALE_AFTER_MONTHS)
    return (
        articles_visible_to(user)
        .filter(status=ArticleStatus.PUBLISHED)
        .filter(Q(valid_until__lt=today) | Q(reviewed_at__lt=reviewed_before))
        .select_related("category", "owner")
        .order_by("valid_until", "reviewed_at")
    )


def faq_products() -> list[tuple[int, str, str, int]]:
    """(id, code, name, number of public articles) of the products the FAQ has answers for."""
    return list(
        Product.objects.filter(
            articles__status=ArticleStatus.PUBLISHED, articles__audience=Audience.PUBLIC
        )
        .annotate(n=Count("articles", distinct=True))
        .order_by("name")
        .values_list("id", "code", "name", "n")
    )


# --- questions --------------------------------------------------------------------------------

GAP_MIN_QUESTIONS = 3
GAP_DAYS = 90


def questions_visible_to(user: User) -> QuerySet[Question]:
    """Managers see every question; others the ones they asked or hold as expert."""
    if can_manage_knowledge(user):
        return Question.objects.all()
    if not can_read_knowledge(user):
        return Question.objects.none()
    return Question.objects.filter(Q(asker=user) | Q(expert=user))


def question_get_for_user(*, user: User, question_id: int) -> Question:
    question = (
        questions_visible_to(user)
        .select_related("customer", "asker", "expert", "category", "product", "answered_from")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        raise Http404
    return question


def question_list(*, user: User, status: str = "", mine: str = "") -> QuerySet[Question]:
    questions = questions_visible_to(user).select_related("asker", "expert", "customer")
    if status:
        questions = questions.filter(status=status)
    if mine == "asked":
        questions = questions.filter(asker=user)
    elif mine == "assigned":
        questions = questions.filter(expert=user)
    return questions


def experts() -> QuerySet[Expert]:
    return Expert.objects.select_related("user").prefetch_related("categories", "products")


@dataclass(frozen=True)
class Gap:
    category: str
    product: str
    questions: int


def knowledge_gaps(*, now: datetime | None = None) -> list[Gap]:
    """Topics (category and product) with repeated questions the base could not answer."""
    since = (now or timezone.now()) - timedelta(days=GAP_DAYS)
    rows = (
        Question.objects.filter(created_at__gte=since, answered_from__isnull=True)
        .values("category__name", "product__name")
        .annotate(n=Count("id"))
        .filter(n__gte=GAP_MIN_QUESTIONS)
        .order_by("-n", "category__name", "product__name")
    )
    return [Gap(r["category__name"] or "", r["product__name"] or "", r["n"]) for r in rows]


def question_suggestions(*, user: User, text: str, limit: int = 5) -> list[Hit]:
    """Published articles that may answer a question being typed: any of its words matches."""
    words = [w for w in terms.needles(text) if len(w) >= 2][:8]
    visible = articles_visible_to(user).filter(status=ArticleStatus.PUBLISHED)
    best: dict[int, Hit] = {}
    for word in words:
        for hit in article_search(articles=visible, filters=ArticleFilters(q=word), limit=limit):
            if hit.article.pk in best:
                best[hit.article.pk].score += hit.score
            else:
                best[hit.article.pk] = hit
    return sorted(best.values(), key=lambda h: h.score, reverse=True)[:limit]


@dataclass
class KnowledgeCard:
    """What the case page, the screen-pop and the 360° page offer from the knowledge base."""

    articles: list[Article]
    questions: list[Question]  # the customer's questions still waiting for an answer


def knowledge_for(
    *,
    user: User,
    text: str = "",
    product_ids: list[int] | None = None,
    customer_id: int | None = None,
    limit: int = 5,
) -> KnowledgeCard:
    """Published articles for the products at hand (most helpful first), then those matching
    ``text`` (a case's subject); and the open questions about the customer that ``user`` may
    see. Nothing for a user who may not read the knowledge base."""
    if not can_read_knowledge(user):
        return KnowledgeCard(articles=[], questions=[])
    published = articles_visible_to(user).filter(status=ArticleStatus.PUBLISHED)
    articles: list[Article] = []
    if product_ids:
        articles = list(
            published.filter(products__in=product_ids)
            .distinct()
            .order_by("-helpful", "-views", "-id")[:limit]
        )
    if text.strip() and len(articles) < limit:
        seen = {a.pk for a in articles}
        for hit in question_suggestions(user=user, text=text, limit=limit):
            if hit.article.pk not in seen and len(articles) < limit:
                articles.append(hit.article)
    questions: list[Question] = []
    if customer_id is not None:
        questions = list(
            questions_visible_to(user)
            .filter(customer_id=customer_id, status__in=WAITING)
            .order_by("due_at", "id")[:limit]
        )
    return KnowledgeCard(articles=articles, questions=questions)


@dataclass
class SalesKnowledge:
    playbooks: list[Article]  # for the opportunity's stage or products, published
    notes: list[Article]  # win/loss notes written from this opportunity, as the user sees them


def sales_knowledge(*, user: User, opportunity: Any, limit: int = 5) -> SalesKnowledge:
    """What the knowledge base holds for an opportunity: the playbooks of its stage and of its
    products, and the win/loss notes written from it."""
    if not can_read_knowledge(user):
        return SalesKnowledge(playbooks=[], notes=[])
    visible = articles_visible_to(user)
    products = opportunity.lines.values("product_id")
    playbooks = (
        visible.filter(status=ArticleStatus.PUBLISHED)
        .filter(Q(stage_id=opportunity.stage_id) | Q(stage__isnull=False, products__in=products))
        .distinct()
        .order_by("-helpful", "-views", "-id")[:limit]
    )
    notes = visible.filter(opportunity=opportunity).order_by("-id")[:limit]
    return SalesKnowledge(playbooks=list(playbooks), notes=list(notes))


@dataclass
class ExpertRow:
    expert: str
    answered: int
    avg_hours: float | None
    breaches: int


@dataclass
class KnowledgeReport:
    by_channel: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    total: int
    from_knowledge: int
    experts: list[ExpertRow]
    most_viewed: list[Article]
    most_helpful: list[Article]
    gaps: list[Gap]

    @property
    def share_from_knowledge(self) -> float:
        return self.from_knowledge / self.total if self.total else 0.0


def knowledge_report(*, now: datetime | None = None) -> KnowledgeReport:
    """Questions by channel and topic, share answered from knowledge, experts' response times
    and SLA breaches, most viewed and most helpful articles, knowledge gaps."""
    now = now or timezone.now()
    channels = dict(QuestionChannel.choices)
    by_channel = [
        (str(channels.get(r["channel"], r["channel"])), r["n"])
        for r in Question.objects.values("channel").annotate(n=Count("id")).order_by("-n")
    ]
    by_category = [
        (r["category__name"] or "—", r["n"])
        for r in Question.objects.values("category__name").annotate(n=Count("id")).order_by("-n")
    ]
    total = Question.objects.count()
    from_knowledge = Question.objects.filter(answered_from__isnull=False).count()
    rows: dict[int, ExpertRow] = {}
    sums: dict[int, float] = defaultdict(float)
    answered = Question.objects.filter(answered_by__isnull=False, answered_at__isnull=False)
    for q in answered.select_related("answered_by").only(
        "created_at", "answered_at", "due_at", "answered_by"
    ):
        if q.answered_by is None or q.answered_at is None:
            continue
        row = rows.setdefault(q.answered_by.pk, ExpertRow(str(q.answered_by), 0, None, 0))
        row.answered += 1
        sums[q.answered_by.pk] += (q.answered_at - q.created_at).total_seconds() / 3600
        row.breaches += q.answered_at > q.due_at
    for expert_id, row in rows.items():
        row.avg_hours = round(sums[expert_id] / row.answered, 1)
    waiting_late = Question.objects.filter(
        status__in=["open", "suggested", "with_expert"], due_at__lt=now, expert__isnull=False
    ).select_related("expert")
    for q in waiting_late:
        if q.expert is None:
            continue
        row = rows.setdefault(q.expert.pk, ExpertRow(str(q.expert), 0, None, 0))
        row.breaches += 1
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    return KnowledgeReport(
        by_channel=by_channel,
        by_category=by_category,
        total=total,
        from_knowledge=from_knowledge,
        experts=sorted(rows.values(), key=lambda r: -r.answered),
        most_viewed=list(published.order_by("-views", "id")[:10]),
        most_helpful=list(published.order_by("-helpful", "not_helpful", "id")[:10]),
        gaps=knowledge_gaps(now=now),
    )
