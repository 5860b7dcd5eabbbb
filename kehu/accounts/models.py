import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class Role(models.TextChoices):
    """What a user does in Kehu; ``kehu.core.access`` turns it into what they may see and do."""

    SALES_REP = "sales_rep", _("Sales rep")
    ARCHIVE_ADMIN = "archive_admin", _("Archive administrator")
    SERVICE_AGENT = "service_agent", _("Service agent")
    MARKETER = "marketer", _("Marketer")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class NotificationTopic(models.TextChoices):
    """What a notification is about; each user chooses which topics reach their bell and which
    also come by e-mail. Security notices (sign-in lockouts) cannot be turned off."""

    WORK = "work", _("My tasks and reminders")
    CUSTOMERS = "customers", _("Customers and leads (calls, web forms, assignments, the pool)")
    SERVICE = "service", _("Service cases")
    KNOWLEDGE = "knowledge", _("Questions to experts")
    RISK = "risk", _("Customer risk alerts")
    SECURITY = "security", _("Security (cannot be turned off)")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES_REP)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: follow the browser."),
    )
    # A machine account for a system such as the call center: it cannot sign in to the web
    # interface, and only its tokens may post call events (and name the agent of a call).
    is_integration = models.BooleanField(
        _("integration account"),
        default=False,
        help_text=_("An account for another system (e.g. the call center), not for a person."),
    )
    # Notification preferences (NotificationTopic values): topics kept out of the bell, topics
    # also sent by e-mail; and the weekly digest for leaders and managers.
    notifications_muted = models.JSONField(_("notifications turned off"), default=list, blank=True)
    notifications_emailed = models.JSONField(
        _("notifications also by e-mail"), default=list, blank=True
    )
    weekly_digest = models.BooleanField(_("weekly digest by e-mail"), default=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


class Team(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    members: "models.ManyToManyField[User, Membership]" = models.ManyToManyField(
        User, through="Membership", related_name="teams", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user in a team; a manager sees the records of every member of the team."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team")
    )
    is_manager = models.BooleanField(_("team manager"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="accounts_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


class ApiToken(TimeStampedModel):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once."""

    PREFIX = "kehu_"

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    # First characters of the token, shown in lists so a user can tell tokens apart.
    hint = models.CharField(_("hint"), max_length=16)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class RecoveryCode(models.Model):
    """A single-use recovery code for two-factor sign-in (备用验证码). Only its SHA-256 digest
    is stored; the codes are shown once, when made."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="recovery_codes", verbose_name=_("user")
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {'used' if self.used_at else 'unused'}"

    @staticmethod
    def digest_of(code: str) -> str:
        return hashlib.sha256(code.encode()).hexdigest()


class SignedInSession(models.Model):
    """A browser session a user signed in with, so they can see where they are signed in and
    sign the others out. The session itself stays in Django's session store; a row whose
    session has expired is not shown and is removed when the user next looks."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="signed_in_sessions", verbose_name=_("user")
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class Handover(TimeStampedModel):
    """One handover of a user's work to colleagues (交接), run at once or in the background;
    its counts say what moved."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    from_user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="handovers_from",
        verbose_name=_("handed over from"),
    )
    to_users: "models.ManyToManyField[User, Any]" = models.ManyToManyField(
        User, related_name="handovers_to", verbose_name=_("handed over to")
    )
    created_by = models.ForeignKey(
        User,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    stage = models.CharField(_("lifecycle stage"), max_length=10, blank=True)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveIntegerField(_("customers done"), default=0)
    total = models.PositiveIntegerField(_("customers in all"), default=0)
    preview = models.JSONField(_("counts before"), default=dict)
    moved = models.JSONField(_("moved"), default=dict)
    skipped = models.JSONField(_("skipped"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.from_user_id} {self.status}"
