"""Forms of the service UI. Lenient: the services validate and their errors land on the fields."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.widgets import IsoDateInput, IsoTimeInput
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import channels_active
from kehu.sales.models import Product
from kehu.sales.selectors import products_on_sale
from kehu.service.models import Case, CaseType, Feedback, Priority, SpecialDay
from kehu.service.selectors import CaseFilters, case_workers

EMPTY = ("", "—")
SCORES = [(n, str(n)) for n in range(5, 0, -1)]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ProductChoiceField(forms.ChoiceField):
    """A product on sale from the catalogue; its ``product()`` is the row (None if empty)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Product from the catalogue"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Or type a code and name below if it is not listed."))
        super().__init__(**kwargs)
        self.choices = _product_choices  # called when the form renders, not at import


def _product_choices() -> list[tuple[str, str]]:
    return [EMPTY, *((str(p.pk), f"{p.code} · {p.name}") for p in products_on_sale())]


def _product(pk: str | None) -> Product | None:
    return Product.objects.filter(pk=pk).first() if pk else None


def _user_choices() -> list[tuple[str, str]]:
    return [EMPTY, *((str(u.pk), f"{u} ({u.username})") for u in case_workers())]


class CaseForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=CaseType.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    contact = forms.ChoiceField(label=_("Contact"), required=False)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    product = ProductChoiceField()
    product_code = forms.CharField(label=_("Product code"), required=False, max_length=60)
    product_name = forms.CharField(label=_("Product name"), required=False, max_length=200)
    assigned_to = forms.ChoiceField(label=_("Assigned agent"), required=False)

    def __init__(self, *args: Any, customer: Customer, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.channels = {c.code: c for c in channels_active()}
        self.contacts = {str(c.pk): c for c in Contact.objects.filter(customer=customer)}
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            EMPTY,
            *((c, ch.label) for c, ch in self.channels.items()),
        ]
        self.fields["contact"].choices = [EMPTY, *((k, c.name) for k, c in self.contacts.items())]  # type: ignore[attr-defined]
        if not self.contacts:
            del self.fields["contact"]
        self.fields["assigned_to"].choices = _user_choices()  # type: ignore[attr-defined]
        self.fields["assigned_to"].initial = str(user.pk)

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        assignee = data.get("assigned_to")
        return {
            "type": data["type"],
            "priority": data["priority"],
            "channel": self.channels.get(data.get("channel") or ""),
            "contact": self.contacts.get(data.get("contact") or ""),
            "subject": data.get("subject", ""),
            "description": data.get("description", ""),
            "product": _product(data.get("product")),
            "product_code": data.get("product_code", ""),
            "product_name": data.get("product_name", ""),
            "assigned_to": User.objects.filter(pk=assignee).first() if assignee else None,
        }


class AssignForm(forms.Form):
    assigned_to = forms.ChoiceField(label=_("Assigned agent"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = _user_choices()  # type: ignore[attr-defined]

    def assignee(self) -> User | None:
        pk = self.cleaned_data.get("assigned_to")
        return User.objects.filter(pk=pk).first() if pk else None


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=Case.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution (internal)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For colleagues only; the customer never sees it."),
    )
    customer_summary = forms.CharField(
        label=_("Summary for the customer"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the customer on the satisfaction page."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Satisfaction"), choices=SCORES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Feedback.Kind.choices)
    product = ProductChoiceField()
    product_code = forms.CharField(label=_("Product code"), required=False, max_length=60)
    product_name = forms.CharField(label=_("Product name"), required=False, max_length=200)
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=[EMPTY, *SCORES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    lifecycle_opinion = forms.ChoiceField(
        label=_("Opinion on the product's life cycle"),
        choices=[EMPTY, *Feedback.LifecycleOpinion.choices],
        required=False,
    )
    understands_product = forms.NullBooleanField(
        label=_("Understands how it works"),
        required=False,
        widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
    )
    preferences = forms.CharField(
        label=_("Preferences"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    market_type = forms.CharField(label=_("Market type"), required=False, max_length=60)
    question_type = forms.ChoiceField(
        label=_("Question type"),
        choices=[EMPTY, *Feedback.QuestionType.choices],
        required=False,
    )
    content = forms.CharField(
        label=_("What the customer said"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    solution = forms.CharField(
        label=_("Solution"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["product"] = _product(data.get("product"))
        data["lifecycle_opinion"] = data.get("lifecycle_opinion") or ""
        data["question_type"] = data.get("question_type") or ""
        return data


class FeedbackFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[EMPTY, *Feedback.Kind.choices]
    )
    question_type = forms.ChoiceField(
        label=_("Question type"),
        required=False,
        choices=[EMPTY, *Feedback.QuestionType.choices],
    )
    product = forms.CharField(label=_("Product"), required=False)


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *Case.Status.choices],
    )
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *CaseType.choices]
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any priority")), *Priority.choices]
    )

    def filters(self) -> CaseFilters:
        """The list's filters from the valid inputs (an invalid one is ignored and shown)."""
        values = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return CaseFilters(
            q=values.get("q", ""),
            status=values.get("status", ""),
            type=values.get("type", ""),
            priority=values.get("priority", ""),
        )


class ServiceSettingsForm(forms.Form):
    work_weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    day_starts_at = forms.TimeField(label=_("Business hours start"), widget=IsoTimeInput())
    day_ends_at = forms.TimeField(label=_("Business hours end"), widget=IsoTimeInput())
    warn_before_minutes = forms.IntegerField(
        label=_("Warn minutes before a deadline"), min_value=0, max_value=7 * 24 * 60
    )
    default_supervisor = forms.ChoiceField(
        label=_("Default supervisor"),
        required=False,
        help_text=_(
            "Gets breached cases whose agent has no team manager. Empty: the administrators."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_supervisor"].choices = [  # type: ignore[attr-defined]
            EMPTY,
            *((str(u.pk), f"{u} ({u.username})") for u in User.objects.filter(is_active=True)),
        ]

    def supervisor(self) -> User | None:
        pk = self.cleaned_data.get("default_supervisor")
        return User.objects.filter(pk=pk).first() if pk else None


class SlaForm(forms.Form):
    """Two inputs, in business hours, per type and priority: ``<type>_<priority>_response``
    and ``…_resolution``."""

    def __init__(self, *args: Any, minutes: dict[tuple[str, str], tuple[int, int]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for case_type in CaseType:
            for priority in Priority:
                response, resolution = minutes[(case_type.value, priority.value)]
                for part, value, label in (
                    ("response", response, _("Respond within (hours)")),
                    ("resolution", resolution, _("Resolve within (hours)")),
                ):
                    self.fields[f"{case_type.value}_{priority.value}_{part}"] = forms.DecimalField(
                        label=label,
                        min_value=0,
                        max_value=10000,
                        decimal_places=2,
                        initial=round(value / 60, 2),
                        widget=forms.NumberInput(attrs={"step": "0.25", "class": "sla-input"}),
                    )

    def rows(self) -> list[dict[str, Any]]:
        """Per type, the priorities with their two bound fields, for the table."""
        return [
            {
                "type": case_type.label,
                "cells": [
                    {
                        "priority": priority.label,
                        "response": self[f"{case_type.value}_{priority.value}_response"],
                        "resolution": self[f"{case_type.value}_{priority.value}_resolution"],
                    }
                    for priority in Priority
                ],
            }
            for case_type in CaseType
        ]

    def minutes(self) -> dict[tuple[str, str], tuple[int, int]]:
        data = self.cleaned_data
        return {
            (t.value, p.value): (
                round(float(data[f"{t.value}_{p.value}_response"]) * 60),
                round(float(data[f"{t.value}_{p.value}_resolution"]) * 60),
            )
            for t in CaseType
            for p in Priority
        }


class SpecialDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=IsoDateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=SpecialDay.Kind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=60)


class ReplyForm(forms.Form):
    to = forms.ChoiceField(label=_("Send to"))
    body = forms.CharField(
        label=_("Reply to the customer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, addresses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(a, a) for a in addresses]  # type: ignore[attr-defined]


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("Why escalate?"), max_length=500)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)
