from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import NotificationTopic, Role, Team, User
from kehu.core.widgets import IsoDateInput
from kehu.customers.models import Customer


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The username or password is wrong. Both are case-sensitive."),
        "inactive": _("This account is disabled. Ask your administrator."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "is_integration", False):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses this token."))
    expires_at = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=IsoDateInput(),
        help_text=_("Empty: in 90 days."),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Confirm it is you before a new token is made."),
    )


class NotificationPrefsForm(forms.Form):
    """My notifications: which topics reach the bell, which also come by e-mail."""

    shown = forms.MultipleChoiceField(
        label=_("In the bell"),
        required=False,
        choices=NotificationTopic.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    emailed = forms.MultipleChoiceField(
        label=_("Also by e-mail"),
        required=False,
        choices=NotificationTopic.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    weekly_digest = forms.BooleanField(
        label=_("Weekly digest by e-mail (leaders and team managers)"), required=False
    )

    def rows(self) -> list[tuple[str, str, bool, bool]]:
        """Per topic: value, label, shown in the bell, also e-mailed (for the settings table)."""
        shown, emailed = self.initial["shown"], self.initial["emailed"]
        return [(v, str(label), v in shown, v in emailed) for v, label in NotificationTopic.choices]

    @classmethod
    def of(cls, user: User) -> "NotificationPrefsForm":
        return cls(
            initial={
                "shown": [t for t in NotificationTopic.values if t not in user.notifications_muted],
                "emailed": user.notifications_emailed,
                "weekly_digest": user.weekly_digest,
            }
        )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=32,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _user_label(user: Any) -> str:
    """A user by name and username: two people may share a name."""
    name = str(user)
    return name if name == user.username else f"{name} ({user.username})"


class UsersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _user_label(obj)


class UserField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _user_label(obj)


LANGUAGE_CHOICES = [("", _("Follow the browser")), *settings.LANGUAGES]


class _TeamsMixin(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    managed = forms.ModelMultipleChoiceField(
        label=_("Manager of"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A team manager sees and changes every record of the team."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        teams = set(data.get("teams") or [])
        if any(team not in teams for team in data.get("managed") or []):
            self.add_error("managed", _("A manager must be a member of the team."))
        return data


class UserCreateForm(_TeamsMixin):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SALES_REP)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    field_order = ["username", "display_name", "email", "role", "language", "teams", "managed"]


class UserEditForm(_TeamsMixin):
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    field_order = ["display_name", "email", "role", "language", "teams", "managed"]


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("All")), *Role.choices], required=False
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("All"),
    )
    active = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), ("1", _("Enabled")), ("0", _("Disabled"))],
        required=False,
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    members = UsersField(
        label=_("Members"),
        queryset=User.objects.filter(is_integration=False).order_by("-is_active", "username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    managers = UsersField(
        label=_("Managers"),
        queryset=User.objects.filter(is_integration=False).order_by("-is_active", "username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Managers see and change every record of the team's members."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        members = set(data.get("members") or [])
        if any(user not in members for user in data.get("managers") or []):
            self.add_error("managers", _("A manager must be a member of the team."))
        return data


class HandoverForm(forms.Form):
    from_user = UserField(label=_("Whose work"), queryset=User.objects.none())
    stage = forms.ChoiceField(label=_("Lifecycle stage"), required=False)
    grade = forms.ChoiceField(label=_("Grade"), required=False)
    to_users = UsersField(
        label=_("To colleagues"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Customers are dealt out in turn; what belongs to a customer goes with it."),
    )

    def __init__(self, *args: Any, sources: Any, recipients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = sources  # type: ignore[attr-defined]
        self.fields["to_users"].queryset = recipients  # type: ignore[attr-defined]
        everything = [("", _("All"))]
        self.fields["stage"].choices = everything + list(Customer.Stage.choices)  # type: ignore[attr-defined]
        self.fields["grade"].choices = everything + list(Customer.Grade.choices)  # type: ignore[attr-defined]
