from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import ApiToken, Membership, Team, User
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent

# What decides what a user may do: a change to any of these is audited.
ACCESS_FIELDS = {"role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"}


def _access_changed(request: HttpRequest, user: User, changed: list[str]) -> None:
    audit_log(
        action=AuditEvent.Action.ROLE_CHANGED,
        actor=request.user,
        request=request,
        object_type="accounts.user",
        object_id=user.pk,
        detail={"changed": sorted(changed)},
    )


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 1


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ["username", "display_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = [
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Kehu"), {"fields": ["role", "display_name", "language"]}),
    ]
    inlines = [MembershipInline]

    def save_model(
        self, request: HttpRequest, obj: User, form: BaseModelForm[User], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        changed = ACCESS_FIELDS & set(form.changed_data)
        if change and changed:
            _access_changed(request, obj, list(changed))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Membership and formset.has_changed():
            _access_changed(request, form.instance, ["teams"])


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "hint", "digest", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]

    def has_add_permission(self, request: object) -> bool:
        return False  # tokens are made by their owner, so the token is shown only to them


def _superusers_only(request: HttpRequest) -> bool:
    """Django's admin site is for superusers: administrators work in Kehu's own pages."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
