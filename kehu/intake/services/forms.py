"""Public web forms: their definition and their submissions."""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_account_admin
from kehu.core.audit import setting_changed
from kehu.customers import services as customer_services
from kehu.customers.fields import FieldSpec
from kehu.customers.models import Channel, Contact, Customer
from kehu.customers.selectors import field_specs_for
from kehu.customers.values import clean_value, is_empty, read_value, to_text
from kehu.dedup.services import candidates_flag_new
from kehu.intake.models import (
    ConsentVersion,
    WebForm,
    WebFormSubmission,
)
from kehu.intake.routing import (
    assignment_locked,
    lead_facts,
    may_own_customers,
    next_owner,
    owner_language,
)
from kehu.intake.selectors import (
    MESSAGE,
    form_field_specs,
    web_form_dedup_match,
    web_form_fields,
)
from kehu.intake.services.leads import (
    WEBSITE,
    channel_by_code,
    live_customer,
    notify_owner,
    stored_language,
)
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log

# --- web forms: definition --------------------------------------------------------------------

RESERVED_SLUGS = {"new", "admin", "api", "static"}
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def _clean_form_fields(kind: str, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = form_field_specs(kind)
    errors = []
    result: list[dict[str, Any]] = []
    seen = set()
    for item in fields:
        code = str(item.get("code", ""))
        if code not in specs:
            errors.append(
                _("“%(code)s” is not a field a public form may ask for this kind of customer.")
                % {"code": code}
            )
            continue
        if code in seen:
            continue
        seen.add(code)
        result.append({"code": code, "required": bool(item.get("required")) or code == "name"})
    if "name" not in seen:
        result.insert(0, {"code": "name", "required": True})
    if not seen & {"phones", "emails"}:
        errors.append(_("Ask for a phone number or an e-mail address, or the lead is unreachable."))
    if errors:
        raise ValidationError({"fields": errors})
    return result


def _clean_origins(origins: list[str]) -> list[str]:
    cleaned = []
    for origin in origins:
        origin = origin.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN.match(origin):
            raise ValidationError(
                {
                    "embed_origins": [
                        _("“%(origin)s” is not a site address like https://www.example.com.")
                        % {"origin": origin}
                    ]
                }
            )
        cleaned.append(origin)
    return list(dict.fromkeys(cleaned))


@transaction.atomic
def web_form_save(
    *,
    user: User,
    slug: str,
    title: str,
    fields: list[dict[str, Any]],
    kind: str = Customer.Kind.PERSON,
    intro: str = "",
    consent_text: str = "",
    thank_you_message: str = "",
    is_active: bool = True,
    owner_id: int | None = None,
    product_id: int | None = None,
    embed_origins: list[str] | None = None,
    consent_purposes: list[str] | None = None,
    form: WebForm | None = None,
) -> WebForm:
    """Define (or change) a public web form (administrators). A changed consent text becomes a
    new consent version; submissions keep the version they agreed to."""
    require_account_admin(user, _("Only administrators may define web forms."))
    errors: dict[str, list[str]] = {}
    slug = slugify(slug)[:60]
    if not slug or slug in RESERVED_SLUGS:
        errors["slug"] = [_("Use lower-case letters, digits and hyphens.")]
    elif WebForm.objects.filter(slug=slug).exclude(pk=form.pk if form else 0).exists():
        errors["slug"] = [_("Another form has this address.")]
    if not title.strip():
        errors["title"] = [_("A title is required.")]
    elif len(title.strip()) > 120:
        errors["title"] = [_("At most %(n)s characters.") % {"n": 120}]
    if kind not in Customer.Kind.values:
        errors["kind"] = [_("Choose person or organization.")]
    owner = None
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id).first()
        if not may_own_customers(owner):
            errors["owner"] = [_("Choose an active user whose role may own customers.")]
    product = None
    if product_id is not None:
        from kehu.sales.models import Product

        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            errors["product"] = [_("Choose a product.")]
    for name, text, limit in (
        ("intro", intro, 2000),
        ("consent_text", consent_text, 5000),
        ("thank_you_message", thank_you_message, 2000),
    ):
        if len(text) > limit:
            errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    for step in (
        lambda: _clean_form_fields(kind, fields) if kind in Customer.Kind.values else [],
        lambda: _clean_origins(embed_origins or []),
    ):
        try:
            step()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if consent_purposes is not None:
        from kehu.privacy.models import Purpose

        consent_purposes = list(dict.fromkeys(consent_purposes))
        if any(p not in Purpose.values for p in consent_purposes):
            errors["consent_purposes"] = [_("Choose purposes from the list.")]
        elif consent_purposes and not consent_text.strip():
            errors["consent_purposes"] = [_("Write the consent text these purposes need.")]
    if errors:
        raise ValidationError(errors)
    form = form or WebForm()
    if consent_purposes is not None:
        form.consent_purposes = consent_purposes
    form.slug, form.title, form.kind = slug, title.strip(), kind
    form.intro, form.thank_you_message = intro.strip(), thank_you_message.strip()
    form.fields = _clean_form_fields(kind, fields)
    form.is_active, form.owner, form.product = is_active, owner, product
    form.embed_origins = _clean_origins(embed_origins or [])
    consent_text = consent_text.strip()
    consent_changed = consent_text != form.consent_text
    form.consent_text = consent_text
    if consent_changed and consent_text:
        form.consent_version += 1
    form.save()
    setting_changed(actor=user, what=form)
    if consent_changed and consent_text:
        ConsentVersion.objects.create(form=form, version=form.consent_version, text=consent_text)
    return form


# --- web forms: submissions -------------------------------------------------------------------

MAX_VALUE_LENGTH = 5000  # any one submitted value, before the field's own limit


def _clean_submission(
    form: WebForm, values: dict[str, Any], consent: bool, *, strict: bool
) -> dict[str, Any]:
    """The form's values cleaned by the archive's rules; one ValidationError naming every bad
    field. ``strict`` (the API) refuses fields the form does not have."""
    fields = {f.code: f for f in web_form_fields(form)}
    errors: dict[str, list[str]] = {}
    if strict:
        for code in values:
            if code not in fields:
                errors[code] = [_("This form has no such field.")]
    cleaned: dict[str, Any] = {}
    for code, field in fields.items():
        raw = values.get(code)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in (None, "", []):
            if field.required:
                errors[code] = [_("This field is required.")]
            continue
        if isinstance(raw, str) and len(raw) > MAX_VALUE_LENGTH:
            errors[code] = [_("At most %(n)s characters.") % {"n": MAX_VALUE_LENGTH}]
            continue
        assert field.spec is not None  # noqa: S101 (web_form_fields gives every field a spec)
        try:
            value = clean_value(field.spec, raw)
        except ValidationError as exc:
            errors[code] = list(exc.messages)
            continue
        if is_empty(value):
            if field.required:
                errors[code] = [_("This field is required.")]
            continue
        cleaned[code] = value
    asks = {code for code in fields if code in {"phones", "emails"}}
    if asks and not asks & set(cleaned) and not asks & set(errors):
        target = "phones" if "phones" in asks else "emails"
        errors[target] = [_("Leave a phone number or an e-mail address so that we can reply.")]
    if form.consent_text and not consent:
        errors["consent"] = [_("Please agree to the terms to send the form.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _fill_empty_fields(
    customer: Customer, facts: dict[str, Any], channel: Channel | None, note: str
) -> None:
    """Record the submitted facts the customer's archive does not have yet; never overwrite."""
    customer = (
        Customer.objects.select_related("person", "organization")
        .prefetch_related("phones", "emails", "tags")
        .get(pk=customer.pk)
    )
    specs = field_specs_for(customer.kind)
    data = {
        code: value
        for code, value in facts.items()
        if code in specs and is_empty(read_value(customer, specs[code]))
    }
    for _attempt in range(2):
        if not data:
            return
        try:
            customer_services.customer_update(
                user=None, customer=customer, data=data, channel=channel, note=note
            )
            return
        except ValidationError as exc:
            # A value that contradicts what the archive knows (a birth date against the ID
            # number) is left out; the submission keeps what the visitor typed.
            bad = set(exc.message_dict) if hasattr(exc, "error_dict") else set(data)
            data = {code: value for code, value in data.items() if code not in bad}


def _submission_summary(form: WebForm, message: str) -> str:
    text = _("Web form “%(title)s” submitted.") % {"title": form.title}
    return f"{text}\n{message}" if message else text


@transaction.atomic
def web_form_submit(
    *,
    form: WebForm,
    values: dict[str, Any],
    consent: bool = False,
    ip_address: str | None = None,
    user_agent: str = "",
    via_api: bool = False,
    campaign_code: str = "",
) -> WebFormSubmission:
    """Turn a submission into a lead with channel "website" — or, when its phone or e-mail is
    already in the archive, attach it to that customer, filling only fields still empty. Logs a
    web-form interaction, records consent with its text version, notifies the owner. All or
    nothing: a ValidationError leaves no trace. ``campaign_code`` (from ``?campaign=`` in the
    form's address) is kept with the submission so the campaign's results count the lead.
    """
    if not form.is_active:
        raise ValidationError(_("This form is no longer available."))
    cleaned = _clean_submission(form, values, consent, strict=via_api)
    message = str(cleaned.pop(MESSAGE, ""))
    specs: dict[str, FieldSpec] = form_field_specs(form.kind)
    stored = {code: to_text(specs[code], value) for code, value in cleaned.items()}
    if message:
        stored[MESSAGE] = message
    channel = channel_by_code(WEBSITE)
    with stored_language():
        note = _("web form “%(title)s”") % {"title": form.title}
    phones, emails = list(cleaned.get("phones", [])), list(cleaned.get("emails", []))
    match = web_form_dedup_match(phones=phones, emails=emails)
    assignment = None
    if match is None:
        # New leads are made one at a time; a twin submission that got here first has made
        # this visitor's lead by now.
        assignment = assignment_locked()
        match = web_form_dedup_match(phones=phones, emails=emails)
    contact: Contact | None = None
    if match is not None:
        customer = live_customer(match.customer)
        contact = (
            match.contact if match.contact and match.contact.customer_id == customer.pk else None
        )
        if contact is None:
            # A contact's details are the contact's, not the organization's: only a customer's
            # own match fills its empty fields.
            _fill_empty_fields(customer, cleaned, channel, note)
    else:
        assert assignment is not None  # noqa: S101 (locked above when nothing matched)
        facts = lead_facts(
            address=str(cleaned.get("address", "")),
            phone=phones[0] if phones else "",
            product_id=form.product_id,
        )
        owner = form.owner if may_own_customers(form.owner) else next_owner(assignment, facts)
        customer = customer_services.customer_create(
            user=None,
            kind=form.kind,
            data=cleaned,
            channel=channel,
            owner=owner,
            assign_to_creator=False,
            note=note,
        )
        # A lead whose phone and e-mail are new may still be a customer already in the archive
        # (same name and address, a phone one digit apart): flag it for review.
        candidates_flag_new(customer=customer)
    consent_record = None
    if form.consent_text:
        consent_record = ConsentVersion.objects.get(form=form, version=form.consent_version)
    submission = WebFormSubmission.objects.create(
        form=form,
        data=stored,
        customer=customer,
        created_lead=match is None,
        consent=consent_record,
        consented_at=timezone.now() if consent_record else None,
        ip_address=ip_address or None,
        user_agent=user_agent[:300],
        via_api=via_api,
        campaign_code=slugify(campaign_code)[:40],
    )
    with stored_language():
        summary = _submission_summary(form, message)
    submission.interaction, _created = interaction_log(
        user=None,
        customer=customer,
        contact=contact,
        type=Interaction.Type.WEB_FORM,
        direction=Interaction.Direction.INBOUND,
        channel=channel,
        summary=summary,
        source=Interaction.Source.WEB_FORM,
        external_id=f"submission-{submission.pk}",
        details={"form": form.slug, "submission_id": submission.pk, "values": stored},
    )
    submission.save(update_fields=["interaction"])
    if consent_record is not None and form.consent_purposes:
        from kehu.privacy.services import consent_from_web_form

        consent_from_web_form(submission=submission)
    with owner_language(customer):
        if submission.created_lead:
            text = _("New lead from the web form “%(title)s”: %(name)s")
        else:
            text = _("%(name)s sent the web form “%(title)s”")
        text = text % {"title": form.title, "name": str(contact or customer)}
    notify_owner(customer, text)
    return submission
