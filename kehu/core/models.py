from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def choices_check(
    field: str, choices: type[models.TextChoices], name: str
) -> models.CheckConstraint:
    """A check constraint that ``field`` holds one of the values of ``choices``, so that the
    database refuses what the model's choices do not name."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class TimeStampedModel(models.Model):
    """Every Kehu table records when a row was made and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """An append-only record of a security-relevant act: sign-in, lockout, reveal, export."""

    class Action(models.TextChoices):
        LOGIN = "login", _("signed in")
        LOGIN_FAILED = "login_failed", _("sign-in failed")
        LOCKED_OUT = "locked_out", _("locked out")
        LOCK_CLEARED = "lock_cleared", _("sign-in lock cleared")
        LOGOUT = "logout", _("signed out")
        SESSION_EXPIRED = "session_expired", _("session expired")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        USER_CREATED = "user_created", _("user created")
        USER_DISABLED = "user_disabled", _("user disabled")
        REVEAL = "reveal", _("sensitive field revealed")
        EXPORT = "export", _("data exported")
        IMPORT = "import", _("data imported")
        IMPORT_UNDONE = "import_undone", _("import undone")
        MERGE = "merge", _("customers merged")
        UNMERGE = "unmerge", _("merge undone")
        CALL_EVENT = "call_event", _("call-center event received")
        DENIED = "denied", _("access denied")
        PRIVACY_REQUEST = "privacy_request", _("data-subject request")
        PRIVACY_COPY = "privacy_copy", _("personal data copy")
        ERASED = "erased", _("personal data erased")
        CONSENT = "consent", _("consent recorded")
        RETENTION = "retention", _("retention rule or run")
        AUDIT_EXPORTED = "audit_exported", _("audit log exported")
        TWO_FACTOR_ENABLED = "2fa_enabled", _("two-factor sign-in turned on")
        TWO_FACTOR_DISABLED = "2fa_disabled", _("two-factor sign-in turned off")
        TWO_FACTOR_FAILED = "2fa_failed", _("two-factor code wrong")
        RECOVERY_CODE_USED = "recovery_code_used", _("recovery code used")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("recovery codes renewed")
        BACKUP = "backup", _("backup written")
        KEYS_ROTATED = "keys_rotated", _("encryption keys rotated")
        ROLE_CHANGED = "role_changed", _("user's role or teams changed")
        SETTINGS_CHANGED = "settings_changed", _("settings or rules changed")
        AUDIT_PRUNED = "audit_pruned", _("old audit events deleted")
        HANDOVER = "handover", _("work handed over to colleagues")
        RESET_LINK_MADE = "reset_link_made", _("one-time password reset link made")
        PASSWORD_RESET = "password_reset", _("password set with a reset link")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    # The username as typed, kept even for unknown users and failed sign-ins.
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.username}"


class KeyCanary(models.Model):
    """A known text encrypted (field keys) or hashed (lookup keys) under a key the archive has
    used, so a missing or wrong key is found at start instead of on the first 360° page.

    The lookup row ``fingerprint="legacy"`` marks an archive whose stored lookup hashes were
    made with the old derivation from the encryption key (until ``kehu keys rotate``)."""

    class Purpose(models.TextChoices):
        FIELD = "field", _("field encryption")
        LOOKUP = "lookup", _("lookup hash")

    purpose = models.CharField(_("purpose"), max_length=8, choices=Purpose.choices)
    fingerprint = models.CharField(_("fingerprint"), max_length=16)
    token = models.TextField(_("canary"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key canary")
        verbose_name_plural = _("key canaries")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "fingerprint"], name="core_keycanary_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=["field", "lookup"]),
                name="core_keycanary_purpose_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.fingerprint}"


class KeyRotation(TimeStampedModel):
    """One run of ``kehu keys rotate``: the keys it rotates to and how far it got, so an
    interrupted run resumes where it stopped."""

    field_key = models.CharField(_("field key"), max_length=16)
    lookup_key = models.CharField(_("lookup key"), max_length=16)
    step = models.CharField(_("step"), max_length=40, blank=True)
    last_id = models.BigIntegerField(_("last id done"), default=0)
    done = models.JSONField(_("rows done per step"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("key rotation")
        verbose_name_plural = _("key rotations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"rotation to {self.field_key}/{self.lookup_key} at {self.step}:{self.last_id}"
