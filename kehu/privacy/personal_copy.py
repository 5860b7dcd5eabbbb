"""A person's copy of their data (个人信息副本, PIPL Art. 45): everything the archive holds about
them, sensitive fields in clear, with the source of each fact — as readable HTML and as JSON.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.customers.models import Contact, Customer, CustomerChange
from kehu.customers.selectors import (
    channel_labels,
    display_text,
    field_label,
    field_specs_for,
    latest_sources,
)
from kehu.customers.values import read_value, to_text


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _record(**fields: Any) -> dict[str, Any]:
    return {key: _plain(value) for key, value in fields.items()}


def personal_data(customer: Customer, *, language: str) -> dict[str, Any]:
    """Everything the archive holds about ``customer`` (and the records merged into it), in
    ``language``; sensitive values decrypted. JSON-ready."""
    from kehu.intake.models import WebFormSubmission
    from kehu.interactions.models import Interaction
    from kehu.privacy.erasure import erasure_family
    from kehu.privacy.models import ConsentRecord
    from kehu.sales.models import Order
    from kehu.service.models import Case, Feedback

    ids = erasure_family(customer)
    with translation.override(language):
        specs = field_specs_for(customer.kind)
        channels = channel_labels()
        sources = latest_sources(customer)
        fields = []
        for code, spec in specs.items():
            text = to_text(spec, read_value(customer, spec))
            if not text:
                continue
            source = sources.get(code)
            fields.append(
                _record(
                    field=code,
                    label=str(spec.label),
                    value=display_text(spec, text, channels),
                    source=source.channel.label if source and source.channel else "",
                    recorded_at=source.changed_at if source else None,
                )
            )
        history = []
        for change in (
            CustomerChange.objects.filter(customer_id__in=ids)
            .select_related("channel")
            .order_by("changed_at", "id")
        ):
            for entry in change.entries():
                history.append(
                    _record(
                        field=entry.field,
                        label=field_label(entry.field, specs),
                        old=entry.text("old"),
                        new=entry.text("new"),
                        source=change.channel.label if change.channel else "",
                        note=change.note,
                        at=change.changed_at,
                    )
                )
        contacts = []
        for contact in Contact.objects.filter(customer_id__in=ids).prefetch_related(
            "phones", "emails"
        ):
            contacts.append(
                _record(
                    name=contact.name,
                    role=contact.get_role_display(),
                    position=contact.title,
                    birthday=contact.birthday,
                    phones=[p.number for p in contact.phones.all()],
                    emails=[e.address for e in contact.emails.all()],
                    notes=contact.notes,
                )
            )
        interactions = [
            _record(
                at=i.occurred_at,
                type=i.get_type_display(),
                direction=i.get_direction_display(),
                channel=i.channel.label if i.channel else "",
                summary=i.summary,
                outcome=i.outcome,
            )
            for i in Interaction.objects.filter(customer_id__in=ids)
            .select_related("channel")
            .order_by("occurred_at", "id")
        ]
        orders = [
            _record(
                number=o.number,
                ordered_on=o.ordered_on,
                status=o.get_status_display(),
                currency=o.currency,
                total=o.total_amount,
                paid=o.paid_amount,
                lines=[
                    _record(
                        product=line.product.name,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        amount=line.amount,
                    )
                    for line in o.lines.all()
                ],
            )
            for o in Order.objects.filter(customer_id__in=ids)
            .prefetch_related("lines__product")
            .order_by("ordered_on", "id")
        ]
        cases = [
            _record(
                opened_at=c.created_at,
                type=c.get_type_display(),
                status=c.get_status_display(),
                subject=c.subject,
                description=c.description,
                outcome=c.customer_summary,
            )
            for c in Case.objects.filter(customer_id__in=ids).order_by("created_at", "id")
        ]
        feedback = [
            _record(
                at=f.created_at,
                kind=f.get_kind_display(),
                content=f.content,
                satisfaction=f.satisfaction,
            )
            for f in Feedback.objects.filter(customer_id__in=ids).order_by("created_at", "id")
        ]
        consents = [
            _record(
                purpose=r.get_purpose_display(),
                granted=r.granted,
                at=r.at,
                how=r.get_method_display(),
                reference=r.reference,
            )
            for r in ConsentRecord.objects.filter(customer_id__in=ids).order_by("at", "id")
        ]
        submissions = [
            _record(at=s.submitted_at, form=s.form.title, values=s.data)
            for s in WebFormSubmission.objects.filter(Q(customer_id__in=ids)).select_related("form")
        ]
        return {
            "made_at": _plain(timezone.now()),
            "language": language,
            "customer": _record(
                id=customer.pk,
                kind=customer.get_kind_display(),
                name=customer.name,
                created_at=customer.created_at,
            ),
            "fields": fields,
            "history": history,
            "contacts": contacts,
            "interactions": interactions,
            "orders": orders,
            "service_cases": cases,
            "feedback": feedback,
            "consents": consents,
            "web_form_submissions": submissions,
        }


SECTIONS = [
    # key, title (translated at render time), columns
    ("fields", "Your data", ["label", "value", "source", "recorded_at"]),
    ("contacts", "Contacts", ["name", "role", "position", "phones", "emails"]),
    ("interactions", "Contacts with you", ["at", "type", "channel", "summary", "outcome"]),
    ("orders", "Orders", ["number", "ordered_on", "status", "total", "paid"]),
    ("service_cases", "Service cases", ["opened_at", "type", "status", "subject", "outcome"]),
    ("feedback", "Feedback", ["at", "kind", "content", "satisfaction"]),
    ("consents", "Consents", ["purpose", "granted", "at", "how", "reference"]),
    ("web_form_submissions", "Web forms", ["at", "form", "values"]),
    ("history", "Where each fact came from", ["at", "label", "old", "new", "source", "note"]),
]


def personal_data_html(data: dict[str, Any]) -> str:
    """The copy as one self-contained HTML page in the copy's language."""
    with translation.override(data["language"]):
        headings = {
            "label": _("Field"),
            "value": _("Value"),
            "source": _("Source"),
            "recorded_at": _("Recorded"),
            "name": _("Name"),
            "role": _("Role"),
            "position": _("Position"),
            "phones": _("Phones"),
            "emails": _("E-mails"),
            "at": _("Time"),
            "type": _("Type"),
            "channel": _("Channel"),
            "summary": _("Summary"),
            "outcome": _("Outcome"),
            "number": _("Order number"),
            "ordered_on": _("Order date"),
            "status": _("Status"),
            "total": _("Total"),
            "paid": _("Paid"),
            "opened_at": _("Opened"),
            "subject": _("Subject"),
            "kind": _("Kind"),
            "content": _("Content"),
            "satisfaction": _("Satisfaction"),
            "purpose": _("Purpose"),
            "granted": _("Granted"),
            "how": _("How"),
            "reference": _("Reference"),
            "form": _("Form"),
            "values": _("Values"),
            "old": _("Before"),
            "new": _("After"),
            "note": _("Note"),
        }
        titles = {
            "fields": _("Your data"),
            "contacts": _("Contacts"),
            "interactions": _("Contacts with you"),
            "orders": _("Orders"),
            "service_cases": _("Service cases"),
            "feedback": _("Feedback"),
            "consents": _("Consents"),
            "web_form_submissions": _("Web forms"),
            "history": _("Where each fact came from"),
        }
        sections = []
        for key, _title, columns in SECTIONS:
            rows = [[_cell(row.get(column)) for column in columns] for row in data[key]]
            sections.append(
                {"title": titles[key], "headings": [headings[c] for c in columns], "rows": rows}
            )
        return render_to_string("privacy/personal_copy.html", {"data": data, "sections": sections})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)
