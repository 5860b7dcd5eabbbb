"""Archive settings: channels and custom fields."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    require_account_admin,
)
from kehu.core.audit import setting_changed
from kehu.customers.models import (
    Channel,
    CustomField,
)


@transaction.atomic
def channel_save(
    *,
    user: User,
    code: str,
    name: str,
    name_en: str,
    kind: str,
    is_active: bool = True,
    channel: Channel | None = None,
) -> Channel:
    require_account_admin(user)
    errors: dict[str, list[str]] = {}
    code = slugify(code).replace("-", "_")[:40]
    if not code:
        errors["code"] = [_("Use letters, digits and underscores.")]
    elif Channel.objects.filter(code=code).exclude(pk=channel.pk if channel else 0).exists():
        errors["code"] = [_("A channel with this code exists already.")]
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    if kind not in Channel.Kind.values:
        errors["kind"] = [_("Choose direct or indirect.")]
    if errors:
        raise ValidationError(errors)
    channel = channel or Channel()
    channel.code, channel.name, channel.kind = code, name.strip(), kind
    channel.is_active = is_active
    channel.name_en = name_en.strip() or name.strip()
    channel.save()
    setting_changed(actor=user, what=channel)
    return channel


@transaction.atomic
def custom_field_save(
    *,
    user: User,
    code: str,
    label: str,
    field_type: str,
    label_en: str = "",
    applies_to: str = CustomField.AppliesTo.BOTH,
    choices: list[str] | None = None,
    required: bool = False,
    searchable: bool = False,
    sensitive: bool = False,
    is_active: bool = True,
    custom_field: CustomField | None = None,
) -> CustomField:
    """Define (or change) a custom field. Its type and code are fixed once it exists."""
    require_account_admin(user)
    errors: dict[str, list[str]] = {}
    code = slugify(code).replace("-", "_")[:40]
    if custom_field is not None:
        code, field_type = custom_field.code, custom_field.field_type
        sensitive = custom_field.sensitive  # moving values between storages is not supported
    if not code:
        errors["code"] = [_("Use letters, digits and underscores.")]
    elif custom_field is None and CustomField.objects.filter(code=code).exists():
        errors["code"] = [_("A custom field with this code exists already.")]
    if not label.strip():
        errors["label"] = [_("A label is required.")]
    if field_type not in CustomField.Type.values:
        errors["field_type"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(CustomField.Type.values)}
        ]
    if applies_to not in CustomField.AppliesTo.values:
        errors["applies_to"] = [_("Choose person, organization or both.")]
    options = list(dict.fromkeys(c.strip() for c in (choices or []) if c.strip()))
    needs_choices = field_type in {CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE}
    if needs_choices and not options:
        errors["choices"] = [_("List the choices.")]
    if errors:
        raise ValidationError(errors)
    custom_field = custom_field or CustomField(code=code, field_type=field_type)
    custom_field.label, custom_field.label_en = label.strip(), label_en.strip()
    custom_field.applies_to, custom_field.choices = applies_to, options if needs_choices else []
    custom_field.required, custom_field.searchable = required, searchable
    custom_field.sensitive, custom_field.is_active = sensitive, is_active
    custom_field.save()
    setting_changed(actor=user, what=custom_field)
    return custom_field
