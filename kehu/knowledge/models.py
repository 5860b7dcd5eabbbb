"""The knowledge base (知识库): articles in a category tree, their versions and search terms."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.sales.models import Product
from kehu.search.models import BinaryCharField


class Category(TimeStampedModel):
    """A node of the category tree (知识分类): product knowledge, business process, service and
    complaint handling, market, policies, and their children."""

    name = models.CharField(_("name"), max_length=80)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="knowledge_category_unique"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="knowledge_category_root_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class Audience(models.TextChoices):
    INTERNAL = "internal", _("Internal only")
    PUBLIC = "public", _("Public FAQ")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Article(TimeStampedModel):
    """A knowledge article (知识): Markdown body, audience, workflow status and owner."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), max_length=50_000)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    products = models.ManyToManyField(
        Product, blank=True, related_name="articles", verbose_name=_("products")
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="knowledge_articles",
        verbose_name=_("owner"),
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="knowledge_reviews",
        verbose_name=_("reviewers"),
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("last reviewed at"), null=True, blank=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    helpful = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful = models.PositiveIntegerField(_("not helpful"), default=0)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "audience"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["valid_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ArticleStatus.values),
                name="knowledge_article_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(audience__in=Audience.values),
                name="knowledge_article_audience_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article", args=[self.pk])


class ArticleVersion(models.Model):
    """One saved state of an article: who changed what, and when."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    tags = models.JSONField(_("tags"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices)
    changed_fields = models.JSONField(_("changed fields"), default=list)
    note = models.CharField(_("note"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleTerm(models.Model):
    """The search index of articles, in the style of ``kehu.search``: a term (a word, its pinyin
    or its initials) pointing at an article with the weight of the field it came from."""

    class Field(models.IntegerChoices):
        BODY = 1, _("body")
        TAG = 2, _("tag")
        TITLE = 3, _("title")

    term = BinaryCharField(_("term"), max_length=32)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    field = models.PositiveSmallIntegerField(_("field"), choices=Field.choices)

    class Meta:
        verbose_name = _("article search term")
        verbose_name_plural = _("article search terms")
        indexes = [
            models.Index(fields=["term", "article", "field"], name="knowledge_term_scan"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.article_id}"
