"""Campaign pages: the list, planning (audience, channels, messages, costs), launch and
sending progress, members with their call lists and responses, results and the channel
comparison; the public one-click unsubscribe page."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts.models import Role, User
from kehu.core.access import can_manage_campaigns, can_view_campaigns
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, client_ip, kept_figures_poll
from kehu.customers.models import Customer
from kehu.customers.segments import segments_visible_to
from kehu.marketing import merge, selectors, services, sms
from kehu.marketing.forms import (
    CampaignForm,
    ContactForm,
    CostForm,
    ResponseForm,
    ScheduleForm,
    TemplateForm,
    TestSendForm,
)
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    MessageTemplate,
    ResponseKind,
)

PAGE_SIZE = 50


def _problems(request: AuthenticatedRequest, exc: ValidationError | Conflict) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for problems in exc.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        for problem in getattr(exc, "messages", [str(exc)]):
            messages.error(request, str(problem))


def _segments(user: User) -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in segments_visible_to(user).order_by("name")]


@require_GET
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    if not can_view_campaigns(request.user):
        return redirect("marketing:my_calls")
    rows = selectors.campaigns_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in Campaign.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": Campaign.Status.choices,
        "can_manage": can_manage_campaigns(request.user),
    }
    return render(request, "marketing/campaign_list.html", context)


def _campaign_data(form: CampaignForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["channels"] = list(data["channels"])
    data["segment_ids"] = list(data.get("segment_ids") or [])
    return data


@require_http_methods(["GET", "POST"])
def campaign_new(request: AuthenticatedRequest) -> HttpResponse:
    if not can_manage_campaigns(request.user):
        raise Http404
    segments = _segments(request.user)
    initial: dict[str, Any] = {
        "starts_on": timezone.localdate(),
        "ends_on": timezone.localdate() + timedelta(days=30),
        "channels": ["email"],
    }
    if request.GET.get("segment", "").isdigit():
        initial["segment_ids"] = [int(request.GET["segment"])]
    if request.GET.get("rule", "").isdigit():
        initial["cross_sell_rule_id"] = int(request.GET["rule"])
    form = CampaignForm(request.POST or None, segments=segments, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, **_campaign_data(form))
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Campaign created. Write its message next."))
            return redirect("marketing:detail", campaign.pk)
    return render(request, "marketing/campaign_form.html", {"form": form, "campaign": None})


@require_http_methods(["GET", "POST"])
def campaign_edit(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    initial = {
        "name": campaign.name,
        "objective": campaign.objective,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "budget": campaign.budget,
        "channels": campaign.channels,
        "segment_ids": list(campaign.segments.values_list("pk", flat=True)),
        "cross_sell_rule_id": campaign.cross_sell_rule_id,
        "control_percent": campaign.control_percent,
        "attribution": campaign.attribution,
        "attribution_days": campaign.attribution_days,
        "track_responses": campaign.track_responses,
    }
    form = CampaignForm(request.POST or None, segments=_segments(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                user=request.user, campaign=campaign, data=_campaign_data(form)
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        except Conflict as exc:
            _problems(request, exc)
        else:
            return redirect("marketing:detail", campaign.pk)
    return render(request, "marketing/campaign_form.html", {"form": form, "campaign": campaign})


def _sample_customer(campaign: Campaign, user: User) -> Customer | None:
    member = (
        CampaignMember.objects.filter(campaign=campaign, group=CampaignMember.Group.TARGET)
        .select_related("customer__person", "customer__organization", "customer__owner")
        .first()
    )
    if member is not None:
        return member.customer
    segment = campaign.segments.first()
    if segment is None:
        return None
    from kehu.customers.segments import segment_customers

    return (
        segment_customers(user=user, segment=segment)
        .select_related("person", "organization", "owner")
        .first()
    )


@require_GET
def campaign_detail(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    if not can_view_campaigns(request.user):
        return redirect("marketing:members", campaign.pk)
    templates = {(t.channel, t.language): t for t in campaign.templates.all()}
    agents = User.objects.filter(
        is_active=True, role__in=[Role.SALES_REP, Role.SERVICE_AGENT], is_integration=False
    ).order_by("username")
    context = {
        "campaign": campaign,
        "can_manage": can_manage_campaigns(request.user),
        "segments": campaign.segments.all(),
        "costs": campaign.costs.all(),
        "templates": templates,
        "template_form": TemplateForm(initial={"channel": "email", "language": "zh-hans"}),
        "test_form": TestSendForm(initial={"to": request.user.email, "language": "zh-hans"}),
        "cost_form": CostForm(initial={"incurred_on": timezone.localdate()}),
        "schedule_form": ScheduleForm(
            initial={"at": campaign.scheduled_at or timezone.localtime() + timedelta(days=1)}
        ),
        "progress": selectors.send_progress(campaign),
        "fields": merge.FIELDS,
        "agents": agents,
        "phone": CampaignChannel.PHONE in campaign.channels,
        "editable": campaign.status in services.EDITABLE,
        "channel_labels": [CampaignChannel(c).label for c in campaign.channels],
    }
    return render(request, "marketing/campaign_detail.html", context)


@require_POST
def template_edit(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            services.template_save(user=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            _problems(request, exc)
        else:
            messages.success(request, _("Message saved."))
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    return redirect("marketing:detail", campaign.pk)


@require_GET
def template_preview(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    if not can_view_campaigns(request.user):
        raise Http404
    channel = request.GET.get("channel", "email")
    language = request.GET.get("language", "zh-hans")
    template = MessageTemplate.objects.filter(
        campaign=campaign, channel=channel, language=language
    ).first()
    customer = _sample_customer(campaign, request.user)
    context: dict[str, Any] = {"template": template, "customer": customer, "channel": channel}
    if template is not None:
        sample = customer or Customer(name=_("Sample customer"), owner=request.user)
        if channel == CampaignChannel.EMAIL:
            fields = merge.context_for(
                sample,
                language=language,
                campaign=campaign.name,
                unsubscribe_url=services.unsubscribe_url(0, "email"),
            )
            context["rendered"] = merge.render(
                subject=template.subject, body=template.body, context=fields
            )
        else:
            text = services.sms_text(campaign=campaign, template=template, customer=sample)
            context["sms"] = text
            context["sms_length"] = len(text)
            context["sms_segments"] = sms.segments(text)
    return render(request, "marketing/partials/preview.html", context)


@require_POST
def test_send(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address."))
        return redirect("marketing:detail", campaign.pk)
    try:
        services.email_test_send(
            user=request.user,
            campaign=campaign,
            language=form.cleaned_data["language"],
            to=form.cleaned_data["to"],
            customer=_sample_customer(campaign, request.user),
        )
    except ValidationError as exc:
        _problems(request, exc)
    except OSError as exc:
        messages.error(request, _("The mail server refused: %s") % exc)
    else:
        messages.success(
            request, _("Test e-mail sent to %(to)s.") % {"to": form.cleaned_data["to"]}
        )
    return redirect("marketing:detail", campaign.pk)


@require_POST
def campaign_launch(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    try:
        campaign = services.campaign_launch(user=request.user, campaign=campaign)
    except (ValidationError, Conflict) as exc:
        _problems(request, exc)
    else:
        messages.success(
            request,
            _("Launched: %(members)s members, %(control)s in the control group.")
            % {"members": campaign.member_count, "control": campaign.control_count},
        )
    return redirect("marketing:detail", campaign.pk)


@require_POST
def campaign_schedule(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """Schedule the launch (``at``), or take the schedule back (``cancel``)."""
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    form = ScheduleForm(request.POST)
    try:
        if "cancel" in request.POST:
            services.campaign_schedule(user=request.user, campaign=campaign, at=None)
            messages.success(request, _("The scheduled launch was taken back."))
        elif not form.is_valid():
            messages.error(request, _("Enter the date and time to launch."))
        else:
            at = form.cleaned_data["at"]
            services.campaign_schedule(user=request.user, campaign=campaign, at=at)
            messages.success(
                request,
                _("The campaign launches by itself at %(at)s.")
                % {"at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")},
            )
    except (ValidationError, Conflict) as exc:
        _problems(request, exc)
    return redirect("marketing:detail", campaign.pk)


@require_POST
def campaign_finish(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    try:
        services.campaign_finish(user=request.user, campaign=campaign)
    except Conflict as exc:
        _problems(request, exc)
    return redirect("marketing:detail", campaign.pk)


@require_POST
def cost_add(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    form = CostForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_cost_add(user=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            _problems(request, exc)
    else:
        messages.error(request, _("Enter the item and its amount."))
    return redirect("marketing:detail", campaign.pk)


@require_GET
def progress(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    if not can_view_campaigns(request.user):
        raise Http404
    return render(
        request,
        "marketing/partials/progress.html",
        {"campaign": campaign, "progress": selectors.send_progress(campaign)},
    )


@require_GET
def member_list(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    group = request.GET.get("group", "")
    mine = request.GET.get("mine") == "1" or not can_view_campaigns(request.user)
    rows = selectors.members_for_user(
        user=request.user,
        campaign=campaign,
        group=group if group in CampaignMember.Group.values else "",
        assigned_only=mine,
    ).prefetch_related("responses", "sends")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    people = [c for c in campaign.channels if c not in services.SENT_BY_KEHU]
    contact_form = ContactForm()
    contact_form.fields["channel"].choices = [  # type: ignore[attr-defined]
        (c, CampaignChannel(c).label) for c in people
    ]
    context = {
        "campaign": campaign,
        "page": page,
        "group": group,
        "groups": CampaignMember.Group.choices,
        "mine": mine,
        "response_form": ResponseForm(),
        "contact_form": contact_form,
        "people_channels": bool(people),
        "can_view": can_view_campaigns(request.user),
        "running": campaign.status == Campaign.Status.RUNNING,
    }
    return render(request, "marketing/member_list.html", context)


@require_POST
def call_assign(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    ids = [int(v) for v in request.POST.getlist("agent_ids") if v.isdigit()]
    agents = list(User.objects.filter(pk__in=ids))
    try:
        n = services.call_list_assign(user=request.user, campaign=campaign, agents=agents)
    except (ValidationError, Conflict) as exc:
        _problems(request, exc)
    else:
        messages.success(
            request,
            _("%(n)s members split among %(agents)s people.") % {"n": n, "agents": len(agents)},
        )
    return redirect("marketing:detail", campaign.pk)


def _back(request: AuthenticatedRequest, member: CampaignMember) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt.startswith("/campaigns/"):
        return redirect(nxt)
    return redirect("marketing:members", member.campaign_id)


@require_POST
def response_add(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    member = selectors.member_get_for_user(user=request.user, member_id=member_id)
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            services.response_record(user=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            _problems(request, exc)
        else:
            messages.success(request, _("Response recorded."))
    return _back(request, member)


@require_POST
def contact_add(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    member = selectors.member_get_for_user(user=request.user, member_id=member_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_log(user=request.user, member=member, **form.cleaned_data)
        except (ValidationError, Conflict) as exc:
            _problems(request, exc)
        else:
            messages.success(request, _("Contact logged on the customer's timeline."))
    else:
        messages.error(request, _("Say how the contact went."))
    return _back(request, member)


@require_GET
def results_page(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    if not can_view_campaigns(request.user):
        raise Http404
    results = selectors.campaign_results(campaign)
    if (poll := kept_figures_poll(request, results.stale)) is not None:
        return poll
    chart = {
        "channels": [f.label for f in results.channels.values()],
        "reached": [f.reached for f in results.channels.values()],
        "responded": [f.responded for f in results.channels.values()],
        "converted": [f.converted for f in results.channels.values()],
        "days": [d for d, _c, _r in results.daily],
        "contacts": [c for _d, c, _r in results.daily],
        "responses": [r for _d, _c, r in results.daily],
        "labels": {
            "reached": _("Reached"),
            "responded": _("Responded"),
            "converted": _("Converted"),
            "contacts": _("Contacts sent"),
            "responses": _("Responses"),
        },
    }
    kinds = dict(ResponseKind.choices)
    context = {
        "campaign": campaign,
        "results": results,
        "chart": chart,
        "responses": [(kinds[k], n) for k, n in results.responses.items()],
    }
    return render(request, "marketing/results.html", context)


@require_GET
def channels_page(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.channel_comparison(user=request.user)
    chart = {
        "channels": [r.label for r in rows],
        "revenue": [float(r.revenue) for r in rows],
        "cost": [float(r.cost) for r in rows],
        "roi": [float(r.roi) if r.roi is not None else None for r in rows],
        "labels": {"revenue": _("Revenue"), "cost": _("Cost"), "roi": _("ROI")},
    }
    return render(request, "marketing/channels.html", {"rows": rows, "chart": chart})


@require_GET
def my_calls(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "marketing/my_calls.html", {"lists": selectors.my_call_lists(request.user)}
    )


@login_not_required
@csrf_exempt  # one-click unsubscribe (RFC 8058): mail clients POST without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: AuthenticatedRequest, token: str) -> HttpResponse:
    member, channel = services.unsubscribe_read(token)
    done = False
    if request.method == "POST":
        services.unsubscribe(token=token, ip_address=client_ip(request) or None)
        done = True
    context = {
        "done": done,
        "campaign": member.campaign,
        "channel": CampaignChannel(channel).label,
    }
    return render(request, "marketing/unsubscribe.html", context)


# A transparent 1×1 GIF, the open pixel.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@login_not_required
@require_GET
def track_open(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel of a tracked e-mail: records *opened* once; 404 for a forged link."""
    services.track_open(token=token)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def track_click(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked e-mail's link: records *clicked* once and goes on to the link the message
    carried (signed into the token, so it goes nowhere else); 404 for a forged link."""
    response = HttpResponseRedirect(services.track_click(token=token))
    response["Cache-Control"] = "no-store"
    return response


LABEL_COLUMNS = ("name", "company", "province", "city", "district", "address")


@require_GET
def mailing_labels(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """The target members' address labels for direct mail: a printable page, or CSV
    (``?format=csv``); audited as an export."""
    import csv

    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    labels, revealed = selectors.mailing_labels(user=request.user, campaign=campaign)
    as_csv = request.GET.get("format") == "csv"
    services.labels_export_log(
        user=request.user,
        campaign=campaign,
        rows=len(labels),
        format="csv" if as_csv else "page",
        revealed=revealed,
        ip_address=client_ip(request) or None,
    )
    if not as_csv:
        return render(request, "marketing/labels.html", {"campaign": campaign, "labels": labels})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="labels-{campaign.code}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with the mark
    writer = csv.writer(response)
    headers = {
        "name": _("Name"),
        "company": _("Company"),
        "province": _("Province"),
        "city": _("City"),
        "district": _("District"),
        "address": _("Address"),
    }
    writer.writerow([headers[c] for c in LABEL_COLUMNS])
    for label in labels:
        writer.writerow([label[c] for c in LABEL_COLUMNS])
    return response
