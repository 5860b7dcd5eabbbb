"""``/api/v1/customers/``: the archive, its history, contacts and the audited reveal.

Reads go through scoped selectors (a customer outside the user's scope is a 404, never a 403);
writes through services, which refuse users who may see but not change (403). Sensitive values
leave the server in clear only from ``POST /customers/{id}/reveal``.
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.accounts.selectors import users_list
from kehu.core.access import is_read_only
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import KeysetPagination
from kehu.customers import selectors, services
from kehu.customers.api.schemas import (
    AssignIn,
    ChangeOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    CustomerCreateIn,
    CustomerDetail,
    CustomerFilterIn,
    CustomerItem,
    CustomerUpdateIn,
    RevealIn,
    RevealOut,
    ShareIn,
)
from kehu.customers.fields import label_text
from kehu.customers.models import Channel, Contact, Customer
from kehu.customers.selectors import CustomerFilters, ProfileView
from kehu.dedup.selectors import possible_duplicates_for_user
from kehu.search.filters import MIN_QUERY_LENGTH, TOO_SHORT

router = Router(tags=["customers"])


class PossibleDuplicateOut(Schema):
    customer_id: int | None
    name: str
    match_weight: float
    match_probability: float
    evidence: list[str]
    agreed: list[str]


class PossibleDuplicatesBody(Schema):
    code: str
    message: str
    possible_duplicates: list[PossibleDuplicateOut]


READ = {200: CustomerDetail, 404: ErrorBody, **ERROR_RESPONSES}
WRITE = {200: CustomerDetail, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


# --- turning input into objects ----------------------------------------------------------------


def _channel(code: str | None) -> Channel | None:
    if not code:
        return None
    channel = selectors.channels_active().filter(code=code).first()
    if channel is None:
        raise ValidationError({"channel": [_("Unknown channel “%(code)s”.") % {"code": code}]})
    return channel


def _active_users(ids: list[int], field: str) -> list[User]:
    users = list(users_list().filter(pk__in=ids, is_active=True))
    if len(users) != len(set(ids)):
        raise ValidationError({field: [_("No such active user.")]})
    return users


def _person(user: User, person_id: int | None) -> Customer | None:
    if person_id is None:
        return None
    person = selectors.customers_visible_to(user).filter(pk=person_id, kind="person").first()
    if person is None:
        raise ValidationError({"person_id": [_("No such person customer.")]})
    return person


# --- building answers ---------------------------------------------------------------------------


class _Detail:
    """A customer with its profile view, in the shape ``CustomerDetail`` reads."""

    def __init__(self, customer: Customer, profile: ProfileView) -> None:
        self._customer = customer
        self.as_of = profile.as_of
        self.fields = [
            {
                "code": view.code,
                "label": label_text(view.spec.label),
                "group": group.group.value,
                "group_label": group.label,
                "value": view.text,
                "masked": view.masked,
                "can_reveal": view.can_reveal,
                "source": view.source
                and {
                    "channel": view.source.channel.code if view.source.channel else None,
                    "changed_at": view.source.changed_at,
                    "changed_by": view.source.changed_by,
                },
            }
            for group in profile.groups
            for view in group.fields
        ]
        self.completeness = {
            "score": profile.completeness.score,
            "missing": profile.completeness.missing,
        }
        self.contacts = list(customer.contacts.all())
        self.shared_with = list(customer.shared_with.all())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._customer, name)


def _detail(user: User, customer_id: int, as_of: date | None = None) -> _Detail:
    customer = selectors.customer_get_for_user(user=user, customer_id=customer_id)
    return _detail_of(user, customer, as_of)


def _detail_of(user: User, customer: Customer, as_of: date | None = None) -> _Detail:
    """The detail of a customer the caller already holds: after creating or assigning one, the
    user sees the result of their own action even if it has just left their scope."""
    return _Detail(customer, selectors.customer_profile(user=user, customer=customer, as_of=as_of))


# --- the archive --------------------------------------------------------------------------------


@router.get(
    "/",
    response={200: list[CustomerItem], 422: ErrorBody, **ERROR_RESPONSES},
    summary="List the customers you may see",
    description=(
        "Filters combine with AND. Without `status`: active and public-pool customers. `q` "
        "needs at least two characters; within a date range the default order is newest first "
        "by that date. "
        "Cursor-paginated in the chosen `order`: `?page_size=&cursor=` → "
        "`{results, next, previous}`."
    ),
)
@paginate(KeysetPagination)
def customer_list(request: AuthenticatedRequest, filters: Query[CustomerFilterIn]) -> object:
    if 0 < len(filters.q.strip()) < MIN_QUERY_LENGTH:
        raise ValidationError({"q": [str(TOO_SHORT)]})
    given = filters.model_dump(exclude_none=True)
    given["custom"] = tuple(
        tuple(item.split("=", 1)) for item in given.pop("custom", []) if "=" in item
    )
    return selectors.customer_list(
        user=request.user, filters=CustomerFilters(**given)
    ).prefetch_related("tags")


@router.post(
    "/",
    response={201: CustomerDetail, 409: PossibleDuplicatesBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Create a customer",
    description=(
        "`fields` holds values by field code (`name`, `phones`, `person.id_number`, "
        "`organization.credit_code`, `custom.<code>` …); see the detail's `fields` for the "
        "codes. Invalid values answer 422 with the field codes in `errors[].field`. With "
        "`?check_duplicates=true`, a customer the archive likely holds already is not created: "
        "409 lists the possible duplicates with their evidence (`customer_id` null for one "
        "outside your scope)."
    ),
)
def customer_create(
    request: AuthenticatedRequest, payload: CustomerCreateIn, check_duplicates: bool = False
) -> Status[Any]:
    owner = _active_users([payload.owner_id], "owner_id")[0] if payload.owner_id else None
    if check_duplicates:
        if is_read_only(request.user):
            raise PermissionDenied(_("Your role may not create customers."))
        found = possible_duplicates_for_user(
            user=request.user, kind=payload.kind, data=payload.fields
        )
        if found:
            return Status(
                409,
                {
                    "code": "possible_duplicates",
                    "message": _(
                        "This customer may already be in the archive; nothing was saved. "
                        "Create it without check_duplicates if it is a different customer."
                    ),
                    "possible_duplicates": [
                        {
                            "customer_id": d.customer_id,
                            "name": d.name,
                            "match_weight": round(d.weight, 2),
                            "match_probability": d.probability,
                            "evidence": d.evidence,
                            "agreed": d.agreed,
                        }
                        for d in found
                    ],
                },
            )
    customer = services.customer_create(
        user=request.user,
        kind=payload.kind,
        data=payload.fields,
        channel=_channel(payload.channel),
        owner=owner,
        note=payload.note,
    )
    return Status(201, _detail_of(request.user, customer))


@router.get(
    "/{customer_id}",
    response=READ,
    summary="One customer, with its fields (sensitive ones masked) and contacts",
    description=(
        "With `?as_of=YYYY-MM-DD`, `fields` and `completeness` show the archive as it stood at "
        "the end of that day (404 if the customer did not exist yet); the other attributes "
        "are today's."
    ),
)
def customer_detail(
    request: AuthenticatedRequest, customer_id: int, as_of: date | None = None
) -> _Detail:
    return _detail(request.user, customer_id, as_of)


@router.patch(
    "/{customer_id}",
    response=WRITE,
    summary="Change some fields",
    description="Only the codes in `fields` change; each change is recorded with `channel`.",
)
def customer_update(
    request: AuthenticatedRequest, customer_id: int, payload: CustomerUpdateIn
) -> _Detail:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    services.customer_update(
        user=request.user,
        customer=customer,
        data=payload.fields,
        channel=_channel(payload.channel),
        note=payload.note,
    )
    return _detail(request.user, customer_id)


@router.post("/{customer_id}/archive", response=WRITE, summary="Archive (restorable)")
def customer_archive(request: AuthenticatedRequest, customer_id: int) -> _Detail:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    services.customer_archive(user=request.user, customer=customer)
    return _detail(request.user, customer_id)


@router.post("/{customer_id}/restore", response=WRITE, summary="Restore an archived customer")
def customer_restore(request: AuthenticatedRequest, customer_id: int) -> _Detail:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    services.customer_restore(user=request.user, customer=customer)
    return _detail(request.user, customer_id)


@router.post(
    "/{customer_id}/review",
    response=WRITE,
    summary="Mark as reviewed",
    description="Records a periodic review (定期核查): the archive was checked and is correct. "
    "Sets `reviewed_at`; nothing else changes.",
)
def customer_review(request: AuthenticatedRequest, customer_id: int) -> _Detail:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    services.customer_mark_reviewed(user=request.user, customer=customer)
    return _detail(request.user, customer_id)


@router.post(
    "/{customer_id}/assign",
    response=WRITE,
    summary="Give to an owner, or to the public pool",
    description="Answers the customer as assigned, even if it has now left your scope.",
)
def customer_assign(request: AuthenticatedRequest, customer_id: int, payload: AssignIn) -> _Detail:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    owner = _active_users([payload.owner_id], "owner_id")[0] if payload.owner_id else None
    customer = services.customer_assign(
        user=request.user, customer=customer, owner=owner, note=payload.note
    )
    return _detail_of(request.user, customer)


@router.post(
    "/{customer_id}/share",
    response=WRITE,
    summary="Share with exactly these users",
    description="Replaces the list; an empty list stops sharing.",
)
def customer_share(request: AuthenticatedRequest, customer_id: int, payload: ShareIn) -> _Detail:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    users = _active_users(payload.user_ids, "user_ids")
    services.customer_share(user=request.user, customer=customer, users=users, note=payload.note)
    return _detail(request.user, customer_id)


@router.get(
    "/{customer_id}/history",
    response={200: list[ChangeOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Every change, newest first (not paginated)",
    description=(
        "The whole history in one list, filtered by `field` code and `channel` code. "
        "Sensitive values are masked; reveal one with `POST …/reveal` and its `change_id`. "
        "A customer created by an import has one history row for all its initial values: "
        "its entries share that `id` and differ by `field`."
    ),
)
def customer_history(
    request: AuthenticatedRequest, customer_id: int, field: str = "", channel: str = ""
) -> list[ChangeOut]:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    views = selectors.customer_history(
        user=request.user, customer=customer, field=field, channel=channel
    )
    return [
        ChangeOut(
            id=view.change.pk,
            field=view.field,
            label=view.label,
            old=view.old,
            new=view.new,
            masked=view.masked,
            can_reveal=view.can_reveal,
            channel=view.change.channel.code if view.change.channel else None,
            changed_at=view.change.changed_at,
            changed_by=str(view.change.changed_by) if view.change.changed_by else "",
            note=view.change.note,
        )
        for view in views
    ]


@router.post(
    "/{customer_id}/reveal",
    response={200: RevealOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="The clear value of a sensitive field (audited)",
    description=(
        "Every reveal is written to the audit log. 403 when your role may not reveal this "
        "group of fields; with `change_id`, the new value of that history entry."
    ),
)
def customer_reveal(
    request: AuthenticatedRequest, customer_id: int, payload: RevealIn
) -> RevealOut:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    value = services.customer_field_reveal(
        user=request.user,
        customer=customer,
        field=payload.field,
        change_id=payload.change_id,
        ip_address=client_ip(request),
    )
    return RevealOut(field=payload.field, change_id=payload.change_id, value=value)


# --- contacts -----------------------------------------------------------------------------------


@router.get(
    "/{customer_id}/contacts/",
    response={200: list[ContactOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="The contacts of an organization (not paginated)",
)
def contact_list(request: AuthenticatedRequest, customer_id: int) -> list[Contact]:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    return list(customer.contacts.all())


@router.post(
    "/{customer_id}/contacts/",
    response={201: ContactOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add a contact to an organization",
)
def contact_create(
    request: AuthenticatedRequest, customer_id: int, payload: ContactIn
) -> Status[Contact]:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    data = payload.model_dump(exclude={"person_id"})
    contact = services.contact_save(
        user=request.user,
        customer=customer,
        data=data,
        person=_person(request.user, payload.person_id),
    )
    return Status(201, selectors.contact_get(customer=customer, contact_id=contact.pk))


@router.patch(
    "/{customer_id}/contacts/{contact_id}",
    response={200: ContactOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Change a contact",
)
def contact_update(
    request: AuthenticatedRequest, customer_id: int, contact_id: int, payload: ContactPatch
) -> Contact:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    contact = selectors.contact_get(customer=customer, contact_id=contact_id)
    current = ContactOut.model_validate(contact).model_dump()
    given = payload.model_dump(exclude_unset=True)
    data = {**current, **given}
    person_id = data.pop("person_id")
    services.contact_save(
        user=request.user,
        customer=customer,
        data=data,
        contact=contact,
        person=_person(request.user, person_id) if "person_id" in given else contact.person,
    )
    return selectors.contact_get(customer=customer, contact_id=contact_id)


@router.delete(
    "/{customer_id}/contacts/{contact_id}",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Remove a contact",
)
def contact_delete(
    request: AuthenticatedRequest, customer_id: int, contact_id: int
) -> Status[None]:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    contact = selectors.contact_get(customer=customer, contact_id=contact_id)
    services.contact_delete(user=request.user, contact=contact)
    return Status(204, None)
