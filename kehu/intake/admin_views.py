"""Intake settings for administrators: web forms (with their embed snippet) and lead assignment."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import require_account_admin
from kehu.core.http import AuthenticatedRequest
from kehu.customers.forms import apply_service_errors
from kehu.intake import selectors, services
from kehu.intake.forms import LeadAssignmentForm, LeadRoutingRuleForm, WebFormDefinitionForm


@require_GET
def form_list(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    context = {
        "web_forms": selectors.web_forms_all(),
        "tab": "forms",
    }
    return render(request, "intake/form_list.html", context)


@require_http_methods(["GET", "POST"])
def form_edit(request: AuthenticatedRequest, form_id: int | None = None) -> HttpResponse:
    require_account_admin(request.user)
    web_form = selectors.web_form_get(form_id=form_id) if form_id else None
    kind = request.POST.get("kind") or request.GET.get("kind") or "person"
    if web_form is not None and request.method == "GET":
        kind = web_form.kind
    kind = kind if kind in {"person", "organization"} else "person"
    initial = (
        WebFormDefinitionForm.initial_for(web_form)
        if web_form
        else {"field_codes": ["name", "phones", "emails", "message"]}
    )
    form = WebFormDefinitionForm(request.POST or None, initial=initial, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.web_form_save(user=request.user, form=web_form, **form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Web form “%(title)s” saved.") % {"title": saved.title})
            return redirect("intake_admin:form_edit", form_id=saved.pk)
    snippet = ""
    public_url = ""
    if web_form is not None:
        public_url = request.build_absolute_uri(web_form.get_absolute_url())
        snippet = (
            f'<iframe src="{escape(public_url)}" title="{escape(web_form.title)}" width="100%" '
            'height="720" '
            'style="border:0;max-width:640px" loading="lazy"></iframe>'
        )
    context = {
        "form": form,
        "web_form": web_form,
        "kind": kind,
        "snippet": snippet,
        "public_url": public_url,
        "tab": "forms",
    }
    return render(request, "intake/form_edit.html", context)


@require_http_methods(["GET", "POST"])
def assignment_edit(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    assignment = selectors.lead_assignment_get()
    initial = {
        "rule": assignment.rule,
        "team": assignment.team_id,
        "user": assignment.user_id,
        "fallback_user": assignment.fallback_user_id,
    }
    form = LeadAssignmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.lead_assignment_save(
                user=request.user,
                rule=data["rule"],
                team_id=data["team"].pk if data["team"] else None,
                fixed_user_id=data["user"].pk if data["user"] else None,
                fallback_user_id=data["fallback_user"].pk if data["fallback_user"] else None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Lead assignment saved."))
            return redirect("intake_admin:assignment")
    context = {"form": form, "tab": "assignment", "rules": selectors.lead_routing_rules()}
    return render(request, "intake/assignment.html", context)


@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthenticatedRequest, rule_id: int | None = None) -> HttpResponse:
    """Add or change a lead routing rule by region or product."""
    require_account_admin(request.user)
    rule = selectors.lead_routing_rule_get(rule_id=rule_id) if rule_id else None
    initial = LeadRoutingRuleForm.initial_for(rule) if rule else {}
    form = LeadRoutingRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_routing_rule_save(user=request.user, rule=rule, **form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("intake_admin:assignment")
    context = {"form": form, "rule": rule, "tab": "assignment"}
    return render(request, "intake/rule_edit.html", context)


@require_POST
def rule_delete(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    require_account_admin(request.user)
    rule = selectors.lead_routing_rule_get(rule_id=rule_id)
    services.lead_routing_rule_delete(user=request.user, rule=rule)
    messages.success(request, _("Routing rule deleted."))
    return redirect("intake_admin:assignment")
