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
    # Sales knowledge: a playbook for opportunities in this pipeline stage; a win/loss note
    # written from this closed opportunity.
    stage = models.ForeignKey(
        "sales.PipelineStage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="playbooks",
        verbose_name=_("playbook for the stage"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("win/loss note of"),
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


class ArticleAttachment(TimeStampedModel):
    """A file attached to an article (a manual, a price list, a photo): the same types and size
    as interaction attachments; served only to those who may read the article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="knowledge/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


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
    or its initials) pointing at an article with the weight of the field it came from.

    ``usefulness`` repeats the article's helpful less unhelpful votes (kept by
    ``services.article_rate``) so that the index holds a term's articles in ranking order: a
    common word reads its best few rows and stops, however many articles it is in."""

    class Field(models.IntegerChoices):
        BODY = 1, _("body")
        TAG = 2, _("tag")
        TITLE = 3, _("title")

    term = BinaryCharField(_("term"), max_length=32)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    field = models.PositiveSmallIntegerField(_("field"), choices=Field.choices)
    usefulness = models.IntegerField(_("usefulness"), default=0)

    class Meta:
        verbose_name = _("article search term")
        verbose_name_plural = _("article search terms")
        indexes = [
            # Read backwards: title before tag before body, then most useful, then newest.
            models.Index(
                fields=["term", "field", "usefulness", "article"], name="knowledge_term_rank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.article_id}"


# --- questions and experts (问题研究中心) -------------------------------------------------------


class Expert(TimeStampedModel):
    """A user in the expert directory: the topics (categories, products) they answer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="expert_profile",
        verbose_name=_("user"),
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="experts", verbose_name=_("categories")
    )
    products = models.ManyToManyField(
        Product, blank=True, related_name="experts", verbose_name=_("products")
    )
    available = models.BooleanField(_("available"), default=True)
    # Round robin: the expert assigned longest ago (or never) gets the next question.
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self) -> str:
        return str(self.user)


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class QuestionChannel(models.TextChoices):
    SERVICE_CASE = "service_case", _("Service case")
    CALL = "call", _("Call center")
    CUSTOMER_PAGE = "customer_page", _("Customer page")
    WEB_FORM = "web_form", _("Web form")
    FEEDBACK = "feedback", _("Customer feedback")
    OTHER = "other", _("Other")


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUGGESTED = "suggested", _("Articles suggested")
    WITH_EXPERT = "with_expert", _("With expert")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# A question still waiting for its answer.
WAITING = (QuestionStatus.OPEN, QuestionStatus.SUGGESTED, QuestionStatus.WITH_EXPERT)


class Question(TimeStampedModel):
    """A question front-line staff could not answer (客户问题): routed to an expert by topic."""

    text = models.TextField(_("question"), max_length=5000)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="knowledge_questions",
        verbose_name=_("customer"),
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="questions_asked",
        verbose_name=_("asker"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("category")
    )
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("product")
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=QuestionChannel.choices, default="other"
    )
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=QuestionStatus.choices, default="open"
    )
    due_at = models.DateTimeField(_("due at"))
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions_assigned",
        verbose_name=_("expert"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_from = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions_answered",
        verbose_name=_("answered from article"),
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_questions",
        verbose_name=_("article made from the answer"),
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["expert", "status"]),
            models.Index(fields=["asker", "status"]),
            models.Index(fields=["category", "product", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=QuestionStatus.values),
                name="knowledge_question_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__in=Urgency.values),
                name="knowledge_question_urgency_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("knowledge:question", args=[self.pk])


class QuestionMessage(TimeStampedModel):
    """A step in a question's conversation: an expert asks back, the asker replies, a hand-over."""

    class Kind(models.TextChoices):
        ASK_BACK = "ask_back", _("Asked back")
        REPLY = "reply", _("Reply")
        HAND_OVER = "hand_over", _("Handed over")
        ESCALATED = "escalated", _("Escalated")

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="messages", verbose_name=_("question")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("question message")
        verbose_name_plural = _("question messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id} {self.kind}"
