from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.widgets import IsoDateInput
from kehu.sales.models import Currency, Order, Payment, PipelineStage, Product
from kehu.sales.selectors import OpportunityFilters, OrderFilters
from kehu.sales.services import LineInput


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Order.Status.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", "—"), *Order.Channel.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=IsoDateInput)
    until = forms.DateField(label=_("To"), required=False, widget=IsoDateInput)
    unpaid = forms.BooleanField(label=_("Only with an amount outstanding"), required=False)

    def filters(self) -> OrderFilters:
        """The list's filters from the valid inputs (an invalid one is ignored and shown)."""
        values = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return OrderFilters(
            status=values.get("status", ""),
            channel=values.get("channel", ""),
            since=values.get("since"),
            until=values.get("until"),
            unpaid=values.get("unpaid", False),
        )


class OrderForm(forms.Form):
    ordered_on = forms.DateField(label=_("Order date"), widget=IsoDateInput)
    channel = forms.ChoiceField(label=_("Channel"), choices=Order.Channel.choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "ordered_on": timezone.localdate(),
                "channel": Order.Channel.SALES_REP,
                "currency": Currency.CNY,
            },
        )
        super().__init__(*args, **kwargs)


class ProductField(forms.ModelChoiceField[Product]):
    """A product typed or picked as “CODE · name” (the search offers these); its code alone
    works too."""

    SEPARATOR = " · "

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Product):
            return f"{value.code}{self.SEPARATOR}{value.name}"
        if isinstance(value, int | str) and str(value).isdigit():
            product = self.queryset.filter(pk=value).first()  # type: ignore[union-attr]
            return self.prepare_value(product) if product else value
        return value

    def to_python(self, value: Any) -> Product | None:
        if value in self.empty_values:
            return None
        code = str(value).split(self.SEPARATOR, 1)[0].strip()
        product = self.queryset.filter(code=code).first()  # type: ignore[union-attr]
        if product is None and code.isdigit():
            product = self.queryset.filter(pk=code).first()  # type: ignore[union-attr]
        if product is None:
            raise ValidationError(
                _("No product on sale with the code “%(code)s”."), params={"code": code}
            )
        return product


class LineForm(forms.Form):
    product = ProductField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.TextInput(
            attrs={
                "list": "product-options",
                "autocomplete": "off",
                # search as you type: the matching products become the datalist's options
                "hx-get": reverse_lazy("sales:product_search"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#product-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "class": "product-search",
                "data-testid": "line-product",
            }
        ),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, min_value=0, required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Empty: the list price."),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
    )

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", _("Enter a quantity."))
        return data

    def line(self) -> LineInput | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return LineInput(
            product=data["product"],
            quantity=data["quantity"],
            unit_price=data.get("unit_price"),
            discount_percent=data.get("discount_percent") or Decimal(0),
        )


LineFormSet = forms.formset_factory(LineForm, extra=1, max_num=50)


class OrderEditForm(OrderForm):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Kept with the change, with your name and the time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["currency"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        required=False,
        help_text=_("Kept with the change, with your name and the time."),
    )


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    received_on = forms.DateField(label=_("Received on"), widget=IsoDateInput)
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[c for c in Payment.Method.choices if c[0] != Payment.Method.POINTS],
    )
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class PaymentCorrectionForm(PaymentForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class OpportunityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="CNY")
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=PipelineStage.objects.filter(is_active=True), required=False
    )
    expected_close_on = forms.DateField(
        label=_("Expected close date"), required=False, widget=IsoDateInput
    )
    competitors = forms.CharField(label=_("Competitors"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].label_from_instance = lambda stage: stage.label  # type: ignore[attr-defined]
        self.fields["stage"].empty_label = _("First stage")  # type: ignore[attr-defined]


class OpportunityEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    expected_close_on = forms.DateField(
        label=_("Expected close date"), required=False, widget=IsoDateInput
    )
    competitors = forms.CharField(label=_("Competitors"), max_length=300, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=300, required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(self, *args: Any, owners: Any, lost: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        if not lost:
            del self.fields["lost_reason"]


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(
        label=_("Move to"), queryset=PipelineStage.objects.filter(is_active=True)
    )
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=300, required=False)


class OpportunityFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Search by name")}),
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def filters(self, *, user: User) -> OpportunityFilters:
        """The board's and the list's filters; "only mine" is ``user``'s."""
        values = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return OpportunityFilters(
            q=values.get("q", ""), owner_id=user.pk if values.get("mine") else None
        )


class ProductForm(forms.ModelForm[Product]):
    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "category",
            "unit",
            "list_price",
            "currency",
            "status",
            "product_type",
            "risk_level",
            "annual_yield",
            "structure",
            "description",
        ]
        widgets = {
            "structure": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }


class PerformanceForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=IsoDateInput)
    end = forms.DateField(label=_("To"), widget=IsoDateInput)
    group_by = forms.ChoiceField(
        label=_("Per"), choices=[("rep", _("Rep")), ("team", _("Team"))], initial="rep"
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="CNY")

    @staticmethod
    def defaults(today: date) -> dict[str, Any]:
        return {"start": today.replace(day=1), "end": today, "group_by": "rep", "currency": "CNY"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data


class PipelineStageForm(forms.ModelForm[PipelineStage]):
    probability = forms.IntegerField(label=_("Default probability (%)"), min_value=0, max_value=100)

    class Meta:
        model = PipelineStage
        fields = ["code", "name", "name_en", "outcome", "probability", "sort_order"]
        help_texts = {
            "code": _("Letters, digits, - and _; used by the API. It cannot change later."),
            "sort_order": _("Stages are shown from the smallest number to the largest."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["code"]

    def validate_unique(self) -> None:
        """Left to the service, which reports the same errors."""


class StageDeleteForm(forms.Form):
    move_to = forms.ModelChoiceField(
        label=_("Move its opportunities to"),
        queryset=PipelineStage.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, stage: PipelineStage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["move_to"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (declared above)
        field.queryset = PipelineStage.objects.filter(
            is_active=True, outcome=PipelineStage.Outcome.OPEN
        ).exclude(pk=stage.pk)
