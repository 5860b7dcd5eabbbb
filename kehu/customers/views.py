"""The customer archive in the browser: list, new customer, 360° page, group edit, history.

Every customer is fetched through ``customer_get_for_user`` (404 outside the user's scope) and
every write goes through ``kehu.customers.services`` (``PermissionDenied`` there is a 403 page).
htmx requests get fragments from ``templates/customers/partials/``; the same URLs serve whole
pages without JavaScript.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from ninja.errors import ValidationError as NinjaValidationError

from kehu.accounts.models import User
from kehu.bulk.models import BulkAction
from kehu.bulk.selectors import bulk_bar
from kehu.core.access import can_create_leads, can_export, require
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import CappedCount, capped_count, keyset_page
from kehu.customers import selectors, services
from kehu.customers.fields import GROUP_LABELS, Group
from kehu.customers.forms import (
    AssignForm,
    ContactForm,
    CustomerCreateForm,
    CustomerFilterForm,
    GroupEditForm,
    HistoryFilterForm,
    ShareForm,
    apply_service_errors,
    owner_form_fields,
)
from kehu.customers.models import Contact, Customer
from kehu.customers.segments import segments_visible_to
from kehu.dedup.selectors import (
    EntryDuplicate,
    duplicates_pending_count_for_customer,
    possible_duplicates_for_user,
)
from kehu.dedup.services import candidates_flag_new

PAGE_SIZE = 50
# The list counts its matches up to here, then says "more than": a count walks the matching
# rows one by one, and at a million customers 10,000 of them took 0.1-0.7 s on a date range.
COUNT_CAP = 1_000
HISTORY_PAGE_SIZE = 100
INVALID = 422  # htmx fragments with form errors; kehu.js lets htmx swap them in


def is_htmx(request: AuthenticatedRequest) -> bool:
    """A fragment request from htmx (a history restore needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render(
    request: AuthenticatedRequest,
    page: str,
    fragment: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """The fragment for htmx, else the page; cached responses vary on the header."""
    template = fragment if is_htmx(request) else page
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- list and create --------------------------------------------------------------------------


def _list_segment(user: User, form: CustomerFilterForm) -> str:
    """The name of the list segment the list shows ("" for none; its number when the viewer
    may not see the segment itself)."""
    segment_id = form.cleaned_data.get("in_list") if form.is_bound else None
    if not segment_id:
        return ""
    segment = segments_visible_to(user).filter(pk=segment_id).first()
    return segment.name if segment else f"#{segment_id}"


@require_GET
def customer_list(request: AuthenticatedRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    filters = form.filters()
    customers = selectors.customer_list(user=request.user, filters=filters)
    try:
        page = keyset_page(
            customers.prefetch_related("tags"),
            cursor=request.GET.get("cursor"),
            page_size=PAGE_SIZE,
        )
    except NinjaValidationError:  # a cursor edited by hand: start from the first page
        page = keyset_page(customers.prefetch_related("tags"), cursor=None, page_size=PAGE_SIZE)
    if not request.GET.get("cursor") and page.next_cursor is None:  # one page holds them all
        total = CappedCount(count=len(page.rows), cap=COUNT_CAP, capped=False)
    else:
        counted = selectors.customer_list(user=request.user, filters=filters, counting=True)
        total = capped_count(counted, COUNT_CAP)
    context = {
        "form": form,
        "page": page,
        "total": total,
        "can_create": can_create_leads(request.user),
        "can_export": can_export(request.user),
        # Bulk actions (kehu.bulk) for roles that change customers.
        "bulk": bulk_bar(user=request.user, kind=BulkAction.Kind.CUSTOMERS),
        "listed_in": _list_segment(request.user, form),
    }
    return _render(
        request,
        "customers/customer_list.html",
        "customers/partials/customer_results.html",
        context,
    )


@require_http_methods(["GET", "POST"])
def customer_create(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_create_leads)
    kind = request.GET.get("kind", Customer.Kind.PERSON)
    if kind not in Customer.Kind.values:
        kind = Customer.Kind.PERSON
    specs = selectors.field_specs_for(kind)
    form = CustomerCreateForm(
        request.POST or None, specs=specs, kind=kind, phone=request.GET.get("phone", "")[:40]
    )
    duplicates: list[EntryDuplicate] = []
    if request.method == "POST" and form.is_valid():
        save_anyway = request.POST.get("save_anyway") == "1"
        if not save_anyway:
            duplicates = possible_duplicates_for_user(
                user=request.user, kind=kind, data=form.archive_data()
            )
        if not duplicates:
            try:
                customer = services.customer_create(
                    user=request.user,
                    kind=kind,
                    data=form.archive_data(),
                    channel=form.provenance_channel(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if save_anyway:
                    candidates_flag_new(customer=customer)
                messages.success(request, _("Customer “%(name)s” created.") % {"name": customer})
                return redirect(customer)
    kinds = [(value, label) for value, label in Customer.Kind.choices]
    context = {"form": form, "kind": kind, "kinds": kinds, "duplicates": duplicates}
    return render(request, "customers/customer_form.html", context)


# --- the 360° page ----------------------------------------------------------------------------


def _get(request: AuthenticatedRequest, customer_id: int) -> Customer:
    return selectors.customer_get_for_user(user=request.user, customer_id=customer_id)


def _can_change(request: AuthenticatedRequest, customer: Customer) -> bool:
    return selectors.customer_can_change(user=request.user, customer=customer)


def _editable_groups(request: AuthenticatedRequest, customer: Customer, can_change: bool) -> Any:
    """The groups whose edit button the user gets: all when they may change the customer; for
    a marketer or service agent who records facts, the groups with a field they may set."""
    specs = selectors.customer_field_specs(customer).values()
    if can_change:
        return {spec.group for spec in specs}
    if not selectors.customer_can_record_facts(user=request.user, customer=customer):
        return set()
    return {spec.group for spec in specs if selectors.fact_field_allowed(request.user, spec)}


def _detail_context(request: AuthenticatedRequest, customer: Customer) -> dict[str, Any]:
    can_change = _can_change(request, customer)
    profile = selectors.customer_profile(user=request.user, customer=customer)
    context: dict[str, Any] = {
        "customer": customer,
        "profile": profile,
        "completeness": profile.completeness,
        "can_change": can_change,
        "editable_groups": _editable_groups(request, customer, can_change),
        "tab": "profile",
        "duplicate_count": duplicates_pending_count_for_customer(
            user=request.user, customer=customer
        ),
    }
    if can_change:
        context["owner_fields"] = owner_form_fields(
            owner_id=customer.owner_id, shared_ids=[u.pk for u in customer.shared_with.all()]
        )
    return context


@require_GET
def customer_detail(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    if customer.status == Customer.Status.MERGED and customer.merged_into_id:
        # A tombstone: old links lead to the customer it was merged into.
        messages.info(
            request,
            _("%(name)s (#%(id)s) was merged into this customer.")
            % {"name": customer.name, "id": customer.pk},
        )
        return redirect("customers:detail", customer.merged_into_id)
    return render(request, "customers/customer_detail.html", _detail_context(request, customer))


def _group_of(customer: Customer, group: str) -> Group:
    if group not in Group.__members__.values():
        raise Http404
    kinds = {spec.group for spec in selectors.field_specs_for(customer.kind).values()}
    if Group(group) not in kinds:
        raise Http404
    return Group(group)


def _group_card(
    request: AuthenticatedRequest, customer: Customer, group: Group, status: int = 200
) -> HttpResponse:
    """The read-only card of one group, with the page header refreshed out of band."""
    profile = selectors.customer_profile(user=request.user, customer=customer)
    view = next(g for g in profile.groups if g.group == group)
    context = {
        "customer": customer,
        "profile": profile,
        "completeness": profile.completeness,
        "group": view,
        "can_change": (can_change := _can_change(request, customer)),
        "editable_groups": _editable_groups(request, customer, can_change),
        "oob_header": True,
    }
    return render(request, "customers/partials/group_card.html", context, status=status)


@require_GET
def customer_group(request: AuthenticatedRequest, customer_id: int, group: str) -> HttpResponse:
    customer = _get(request, customer_id)
    return _group_card(request, customer, _group_of(customer, group))


@require_http_methods(["GET", "POST"])
def customer_group_edit(
    request: AuthenticatedRequest, customer_id: int, group: str
) -> HttpResponse:
    customer = _get(request, customer_id)
    group_key = _group_of(customer, group)
    can_change = _can_change(request, customer)
    if group_key not in _editable_groups(request, customer, can_change):
        raise PermissionDenied
    specs = [s for s in selectors.field_specs_for(customer.kind).values() if s.group == group_key]
    if not can_change:  # recording facts: only the fields the role may set
        specs = [s for s in specs if selectors.fact_field_allowed(request.user, s)]
    form = GroupEditForm(request.POST or None, specs=specs, customer=customer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.customer_update(
                    user=request.user,
                    customer=customer,
                    data=form.archive_data(),
                    channel=form.provenance_channel(),
                    note=form.cleaned_data["change_note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if is_htmx(request):
                    return _group_card(request, _get(request, customer_id), group_key)
                messages.success(request, _("Saved."))
                return redirect(f"{customer.get_absolute_url()}#group-{group_key}")
        status = INVALID if is_htmx(request) else 200
    context = {
        "customer": customer,
        "form": form,
        "group_key": group_key,
        "group_label": GROUP_LABELS[group_key],
    }
    return _render(
        request,
        "customers/customer_group_edit.html",
        "customers/partials/group_form.html",
        context,
        status=status,
    )


@require_POST
def customer_reveal(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    """The clear value of one sensitive field (or history entry), audited by the service."""
    customer = _get(request, customer_id)
    field = request.POST.get("field", "")
    change_raw = request.POST.get("change_id", "")
    change_id = int(change_raw) if change_raw.isdigit() else None
    try:
        value = services.customer_field_reveal(
            user=request.user,
            customer=customer,
            field=field,
            change_id=change_id,
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    label = selectors.field_label(field, selectors.field_specs_for(customer.kind))
    context = {"customer": customer, "value": value, "label": label}
    return _render(
        request,
        "customers/customer_reveal.html",
        "customers/partials/revealed_value.html",
        context,
    )


# --- owner, sharing, archive ------------------------------------------------------------------


def _back_to(request: AuthenticatedRequest, customer: Customer) -> HttpResponse:
    """Back to the customer's page, or to the list when the user no longer sees it."""
    if selectors.customers_visible_to(request.user).filter(pk=customer.pk).exists():
        return redirect(customer)
    return redirect("customers:list")


@require_POST
def customer_assign(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an active user."))
        return redirect(customer)
    try:
        services.customer_assign(
            user=request.user,
            customer=customer,
            owner=form.cleaned_data["owner"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(customer)
    messages.success(request, _("Owner changed."))
    return _back_to(request, customer)


@require_POST
def customer_share(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose active users."))
        return redirect(customer)
    services.customer_share(
        user=request.user,
        customer=customer,
        users=form.cleaned_data["users"],
        note=form.cleaned_data["note"],
    )
    messages.success(request, _("Sharing saved."))
    return redirect(customer)


@require_POST
def customer_archive(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    services.customer_archive(user=request.user, customer=customer)
    messages.success(request, _("Customer archived. It can be restored from this page."))
    return redirect(customer)


@require_POST
def customer_restore(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    services.customer_restore(user=request.user, customer=customer)
    messages.success(request, _("Customer restored."))
    return redirect(customer)


@require_POST
def customer_mark_reviewed(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    services.customer_mark_reviewed(user=request.user, customer=customer)
    messages.success(request, _("Marked as reviewed."))
    return redirect(customer)


# --- contacts ---------------------------------------------------------------------------------


def _contacts_card(
    request: AuthenticatedRequest,
    customer: Customer,
    form: ContactForm | None = None,
    contact: Contact | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "customer": customer,
        "contacts": customer.contacts.all(),
        "can_change": _can_change(request, customer),
        "contact_form": form,
        "editing": contact,
    }
    return _render(
        request,
        "customers/customer_contact_edit.html",
        "customers/partials/contacts_card.html",
        context,
        status=status,
    )


def _organization(request: AuthenticatedRequest, customer_id: int) -> Customer:
    customer = _get(request, customer_id)
    if customer.kind != Customer.Kind.ORGANIZATION:
        raise Http404
    if not _can_change(request, customer):
        raise PermissionDenied
    return customer


@require_GET
def contact_list(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    if customer.kind != Customer.Kind.ORGANIZATION:
        raise Http404
    return _contacts_card(request, customer)


@require_http_methods(["GET", "POST"])
def contact_edit(
    request: AuthenticatedRequest, customer_id: int, contact_id: int | None = None
) -> HttpResponse:
    """Add a contact (no ``contact_id``) or change one, at an organization customer."""
    customer = _organization(request, customer_id)
    contact = get_object_or_404(Contact, pk=contact_id, customer=customer) if contact_id else None
    initial = ContactForm.initial_for(contact) if contact else None
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_save(
                user=request.user,
                customer=customer,
                data=form.cleaned_data,
                contact=contact,
                person=contact.person if contact else None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not is_htmx(request):
                messages.success(request, _("Contact saved."))
                return redirect(f"{customer.get_absolute_url()}#contacts")
            return _contacts_card(request, _get(request, customer_id))
    status = INVALID if request.method == "POST" and is_htmx(request) else 200
    return _contacts_card(request, customer, form=form, contact=contact, status=status)


@require_POST
def contact_delete(
    request: AuthenticatedRequest, customer_id: int, contact_id: int
) -> HttpResponse:
    customer = _organization(request, customer_id)
    contact = get_object_or_404(Contact, pk=contact_id, customer=customer)
    services.contact_delete(user=request.user, contact=contact)
    if not is_htmx(request):
        messages.success(request, _("Contact deleted."))
        return redirect(f"{customer.get_absolute_url()}#contacts")
    return _contacts_card(request, _get(request, customer_id))


# --- history ----------------------------------------------------------------------------------


@require_GET
def customer_history(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _get(request, customer_id)
    specs = selectors.field_specs_for(customer.kind)
    form = HistoryFilterForm(request.GET or None, specs=specs)
    values = form.values() if form.is_bound else {}
    changes = selectors.customer_history(
        user=request.user,
        customer=customer,
        field=values.get("field") or "",
        channel=values.get("channel") or "",
    )
    page = Paginator(changes, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    as_of = values.get("as_of")
    profile = None
    if as_of is not None:
        try:
            profile = selectors.customer_profile(user=request.user, customer=customer, as_of=as_of)
        except Http404:
            profile = None
    context = {
        "customer": customer,
        "form": form,
        "page": page,
        "as_of": as_of,
        "as_of_profile": profile,
        "completeness": selectors.customer_completeness(customer),
        "tab": "history",
        "history_url": reverse("customers:history", args=[customer.pk]),
    }
    return render(request, "customers/customer_history.html", context)
