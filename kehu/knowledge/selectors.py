"""Reads of the knowledge base, scoped by reader.

Internal readers see every published article (internal and public), their own articles in any
status, and what they review; knowledge managers see everything. The public FAQ sees published
public articles only (``public_articles``): an internal article never shows there.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
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

STALE_AFTER_MONTHS = 12
SEARCH_LIMIT = 50
# A query word in more articles than this is too common to narrow the search alone: it is read
# after the rarer words, among the articles they matched.
MAX_CANDIDATES = 20_000


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


def _scan(
    probes: list[terms.Probe], *, within: set[int] | None = None, cap: int | None = None
) -> dict[int, int] | None:
    """Article id → best field weight for one query word (prefix range scans of the index),
    only among ``within`` when given; None when the word is in more than ``cap`` articles."""
    found: dict[int, int] = defaultdict(int)
    q = Q()
    for probe in probes:
        if probe.exact:
            q |= Q(term=probe.prefix)
        else:
            q |= Q(term__gte=probe.prefix, term__lt=probe.prefix + "\U0010ffff")
    rows = ArticleTerm.objects.filter(q)
    if within is not None:
        rows = rows.filter(article_id__in=within)
    pairs = rows.values_list("article_id", "field")
    read = list(pairs[: cap + 1]) if cap is not None else list(pairs)
    if cap is not None and len(read) > cap:
        return None
    for article_id, field in read:
        if found[article_id] < field:
            found[article_id] = field
    return found


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


def article_search(
    *, articles: QuerySet[Article], filters: ArticleFilters, limit: int = SEARCH_LIMIT
) -> list[Hit]:
    """Articles of ``articles`` matching every word of ``filters.q``, best first: a word in the
    title counts more than in a tag, a tag more than the body; then by usefulness (helpful
    votes less unhelpful ones) and views."""
    groups = terms.plan_query(filters.q)
    if not groups:
        return []
    # Narrow by the rarer words first; a word too common to narrow alone is read afterwards,
    # only among the articles the others matched (never cut off: that would drop matches).
    scores: dict[int, int] | None = None
    common: list[list[terms.Probe]] = []
    for probes in groups:
        found = _scan(probes, cap=MAX_CANDIDATES)
        if found is None:
            common.append(probes)
            continue
        scores = _combine(scores, found)
        if not scores:
            return []
    for probes in common:
        within = set(scores) if scores is not None else None
        found = _scan(probes, within=within)
        assert found is not None  # noqa: S101  (no cap)
        scores = _combine(scores, found)
        if not scores:
            return []
    assert scores is not None  # noqa: S101  (groups is not empty)
    # Rank on a narrow read (id and usefulness), then fetch only the rows shown.
    ranked = sorted(
        _filtered(articles, filters)
        .filter(pk__in=list(scores))
        .values_list("id", "helpful", "not_helpful", "views"),
        key=lambda r: (scores[r[0]], r[1] - r[2], r[3], r[0]),
        reverse=True,
    )[:limit]
    top = [r[0] for r in ranked]
    rows = Article.objects.filter(pk__in=top).select_related("category").in_bulk()
    candidates = [rows[pk] for pk in top]
    needles = terms.needles(filters.q)
    return [Hit(a, scores[a.pk], highlight(plain_text(a.body), needles)) for a in candidates]


def _combine(scores: dict[int, int] | None, found: dict[int, int]) -> dict[int, int]:
    if scores is None:
        return dict(found)
    return {aid: s + found[aid] for aid, s in scores.items() if aid in found}


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
