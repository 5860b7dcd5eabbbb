"""Writes to the knowledge base: articles, their workflow (draft → in review → published →
archived), versions and search terms, categories, and reader feedback.

Who may do what is in ``kehu.core.access``: writers draft and edit their own drafts; managers
(and a reviewer named on the article) review and publish; managers archive and edit any article.
A move the status does not allow raises ``Conflict``.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_knowledge, can_write_articles
from kehu.core.exceptions import Conflict
from kehu.core.uploads import attachment_problems
from kehu.knowledge import terms
from kehu.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleStatus,
    ArticleTerm,
    ArticleVersion,
    Audience,
    Category,
)
from kehu.sales.models import Opportunity, PipelineStage, Product

MAX_TAGS = 20
MAX_TAG_LENGTH = 30
EDITABLE = ("title", "body", "category", "tags", "audience", "valid_until", "stage")


def _require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You do not have permission to do this."))


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)s tags.") % {"n": MAX_TAGS}})
    if any(len(t) > MAX_TAG_LENGTH for t in cleaned):
        raise ValidationError(
            {"tags": _("A tag has at most %(n)s characters.") % {"n": MAX_TAG_LENGTH}}
        )
    return cleaned


def _validate(article: Article) -> None:
    errors: dict[str, str] = {}
    if not article.title.strip():
        errors["title"] = _("Enter a title.")
    if not article.body.strip():
        errors["body"] = _("Write the article.")
    if article.audience not in Audience.values:
        errors["audience"] = _("Choose internal or public.")
    if errors:
        raise ValidationError(errors)
    article.full_clean(exclude=["owner", "category"])


def article_reindex(*, article: Article) -> None:
    """Replace the article's search terms."""
    ArticleTerm.objects.filter(article=article).delete()
    item = terms.Indexable(article.pk, article.title, list(article.tags), article.body)
    usefulness = article.helpful - article.not_helpful
    ArticleTerm.objects.bulk_create(
        ArticleTerm(term=term, article_id=article_id, field=field, usefulness=usefulness)
        for term, article_id, field in terms.rows_for(item)
    )


def _snapshot(*, article: Article, user: User | None, changed: list[str], note: str = "") -> None:
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        tags=list(article.tags),
        status=article.status,
        changed_fields=changed,
        note=note,
        changed_by=user,
    )


@transaction.atomic
def article_create(
    *,
    user: User,
    title: str,
    body: str,
    category: Category | None = None,
    tags: Iterable[str] = (),
    products: Iterable[Product] = (),
    reviewers: Iterable[User] = (),
    audience: str = Audience.INTERNAL,
    valid_until: date | None = None,
    stage: PipelineStage | None = None,
    opportunity: Opportunity | None = None,
) -> Article:
    """A new draft owned by ``user``, saved as version 1: a playbook when it names a pipeline
    ``stage``, a win/loss note when it names the closed ``opportunity`` it was written from."""
    _require(can_write_articles(user) or can_manage_knowledge(user))
    article = Article(
        title=title.strip(),
        body=body,
        category=category,
        tags=_clean_tags(tags),
        audience=audience,
        valid_until=valid_until,
        stage=stage,
        opportunity=opportunity,
        owner=user,
    )
    _validate(article)
    article.save()
    article.products.set(list(products))
    article.reviewers.set(list(reviewers))
    _snapshot(article=article, user=user, changed=["created"])
    article_reindex(article=article)
    return article


def can_edit(user: User, article: Article) -> bool:
    if article.status == ArticleStatus.ARCHIVED:
        return False
    if can_manage_knowledge(user):
        return True
    return bool(
        article.owner_id == user.pk
        and article.status == ArticleStatus.DRAFT
        and can_write_articles(user)
    )


def can_review(user: User, article: Article) -> bool:
    return can_manage_knowledge(user) or article.reviewers.filter(pk=user.pk).exists()


@transaction.atomic
def article_update(
    *,
    user: User,
    article: Article,
    products: Iterable[Product] | None = None,
    reviewers: Iterable[User] | None = None,
    note: str = "",
    **changes: Any,
) -> Article:
    """Change an article's fields; a change makes a new version that says what changed."""
    _require(can_edit(user, article), _("You may not edit this article."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    if "tags" in changes:
        changes["tags"] = _clean_tags(changes["tags"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    changed = [name for name, value in changes.items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, changes[name])
    if products is not None:
        new = {p.pk for p in products}
        if new != set(article.products.values_list("pk", flat=True)):
            article.products.set(list(new))
            changed.append("products")
    if reviewers is not None:
        new = {u.pk for u in reviewers}
        if new != set(article.reviewers.values_list("pk", flat=True)):
            article.reviewers.set(list(new))
            changed.append("reviewers")
    if not changed:
        return article
    _validate(article)
    article.version += 1
    article.save()
    _snapshot(article=article, user=user, changed=changed, note=note)
    if {"title", "body", "tags"} & set(changed):
        article_reindex(article=article)
    return article


def _move(*, user: User, article: Article, to: str, note: str = "") -> Article:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status != article.status:
        raise Conflict(_("The article changed meanwhile; reload it."))
    article.status = to
    article.version += 1
    now = timezone.now()
    if to == ArticleStatus.PUBLISHED:
        article.published_at = now
        article.reviewed_at = now
    article.save()
    _snapshot(article=article, user=user, changed=["status"], note=note)
    return article


@transaction.atomic
def article_submit(*, user: User, article: Article) -> Article:
    """Send a draft for review."""
    _require(article.owner_id == user.pk or can_manage_knowledge(user))
    if article.status != ArticleStatus.DRAFT:
        raise Conflict(_("Only a draft can be sent for review."))
    return _move(user=user, article=article, to=ArticleStatus.IN_REVIEW)


@transaction.atomic
def article_publish(*, user: User, article: Article) -> Article:
    """Publish an article in review (a manager may also publish a draft directly)."""
    _require(can_review(user, article), _("Only a reviewer may publish this article."))
    allowed = [ArticleStatus.IN_REVIEW]
    if can_manage_knowledge(user):
        allowed.append(ArticleStatus.DRAFT)
    if article.status not in allowed:
        raise Conflict(_("This article cannot be published in its current status."))
    return _move(user=user, article=article, to=ArticleStatus.PUBLISHED)


@transaction.atomic
def article_return(*, user: User, article: Article, note: str = "") -> Article:
    """Send an article in review back to its owner as a draft, saying why."""
    _require(can_review(user, article), _("Only a reviewer may return this article."))
    if article.status != ArticleStatus.IN_REVIEW:
        raise Conflict(_("Only an article in review can be returned."))
    return _move(user=user, article=article, to=ArticleStatus.DRAFT, note=note[:200])


@transaction.atomic
def article_archive(*, user: User, article: Article) -> Article:
    """Take an article out of use; it stays readable in its history."""
    _require(can_manage_knowledge(user), _("Only knowledge managers archive articles."))
    if article.status == ArticleStatus.ARCHIVED:
        raise Conflict(_("The article is archived already."))
    return _move(user=user, article=article, to=ArticleStatus.ARCHIVED)


@transaction.atomic
def article_confirm_current(*, user: User, article: Article) -> Article:
    """A manager confirms a published article is still right (resets its review age)."""
    _require(can_manage_knowledge(user))
    article.reviewed_at = timezone.now()
    article.save(update_fields=["reviewed_at", "updated_at"])
    return article


def article_viewed(*, article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


@transaction.atomic
def article_rate(*, article: Article, helpful: bool) -> None:
    """Count one "was this helpful?" answer, in the article and in its search terms (which
    rank by it). The article's row lock orders concurrent answers."""
    field = "helpful" if helpful else "not_helpful"
    rated = Article.objects.filter(pk=article.pk)
    rated.update(**{field: F(field) + 1})
    votes = rated.values(u=F("helpful") - F("not_helpful"))
    ArticleTerm.objects.filter(article_id=article.pk).update(usefulness=Subquery(votes[:1]))


@transaction.atomic
def category_create(*, user: User, name: str, parent: Category | None = None) -> Category:
    _require(can_manage_knowledge(user))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if Category.objects.filter(parent=parent, name=name).exists():
        raise ValidationError({"name": _("This category exists already.")})
    return Category.objects.create(name=name, parent=parent)


@transaction.atomic
def win_loss_note_draft(*, user: User, opportunity: Opportunity) -> Article:
    """A draft win/loss note on a closed opportunity (fetched through a scoped selector): what
    was sold or lost, to whom, against whom and why, for the author to complete with what was
    learned, then to publish so the next rep finds it. One draft per author and opportunity:
    asking again returns it."""
    _require(can_write_articles(user) or can_manage_knowledge(user))
    outcome = opportunity.stage.outcome
    if outcome == PipelineStage.Outcome.OPEN:
        raise Conflict(_("Only a won or lost opportunity has a win/loss note."))
    mine = Article.objects.filter(opportunity=opportunity, owner=user).first()
    if mine is not None:
        return mine
    won = outcome == PipelineStage.Outcome.WON
    title = (_("Win: %(name)s") if won else _("Loss: %(name)s")) % {"name": opportunity.name}
    lines = opportunity.lines.select_related("product")
    rows = [
        (_("Customer"), opportunity.customer.name),
        (_("Amount"), f"{opportunity.amount} {opportunity.currency}"),
        (_("Closed on"), str(opportunity.closed_on or "—")),
        (_("Products"), ", ".join(line.product.name for line in lines) or "—"),
        (_("Competitors"), opportunity.competitors or "—"),
    ]
    if not won:
        rows.append((_("Lost reason"), opportunity.lost_reason or "—"))
    heading = _("What we learned")
    body = "\n".join(
        [f"- {label}: {value}" for label, value in rows]
        + ["", f"## {heading}", "", _("Why it went this way, and what to do next time.")]
    )
    return article_create(
        user=user,
        title=title[:200],
        body=body,
        tags=[str(_("Win/loss note"))],
        products=[line.product for line in lines],
        opportunity=opportunity,
    )


@transaction.atomic
def article_attach(
    *, user: User, article: Article, uploads: list[UploadedFile]
) -> list[ArticleAttachment]:
    """Attach files to an article its editor may change (the same types and size as an
    interaction's attachments); all or none, and the history says which were added."""
    _require(can_edit(user, article), _("You may not edit this article."))
    if not uploads:
        raise ValidationError({"files": [_("Choose a file.")]})
    if problems := attachment_problems(uploads):
        raise ValidationError({"files": problems})
    attached = [
        ArticleAttachment.objects.create(
            article=article,
            file=upload,
            name=(upload.name or "file")[:200],
            size=upload.size or 0,
            content_type=upload.content_type or "",
            uploaded_by=user,
        )
        for upload in uploads
    ]
    names = ", ".join(a.name for a in attached)
    _new_version(article=article, user=user, note=f"+ {names}")
    return attached


@transaction.atomic
def article_attachment_remove(*, user: User, attachment: ArticleAttachment) -> None:
    """Remove a file from an article its editor may change; the history keeps its name."""
    article = attachment.article
    _require(can_edit(user, article), _("You may not edit this article."))
    name = attachment.name
    attachment.file.delete(save=False)
    attachment.delete()
    _new_version(article=article, user=user, note=f"− {name}")


def _new_version(*, article: Article, user: User, note: str) -> None:
    """A version saying the attachments changed (the article's row locked for its number)."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    _snapshot(article=locked, user=user, changed=["attachments"], note=note[:200])
