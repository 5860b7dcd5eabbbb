"""Forms of intake's pages: the public web form, its definition, lead assignment, the lookup."""

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.accounts.models import Team, User
from kehu.customers.fields import Type
from kehu.customers.forms import archive_form_field
from kehu.intake.models import LeadAssignment, LeadRoutingRule, WebForm
from kehu.intake.selectors import MESSAGE, FormField, form_field_specs
from kehu.privacy.models import Purpose
from kehu.sales.models import Product

HONEYPOT = "homepage"  # a field people never see; bots fill in every field they find


class UserChoiceField(forms.ModelChoiceField[User]):
    """Users by name and username: two reps may share a display name."""

    def label_from_instance(self, obj: Any) -> str:
        name = str(obj)
        return name if name == obj.username else f"{name} ({obj.username})"


class PublicWebForm(forms.Form):
    """A web form as visitors see it, built from the form's fields. Lenient: the service checks
    every value with the archive's rules and its messages come back next to the fields."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, web_form: WebForm, fields: list[FormField], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.web_form = web_form
        self.codes = [f.code for f in fields]
        for item in fields:
            assert item.spec is not None  # noqa: S101 (web_form_fields gives every field a spec)
            field = archive_form_field(item.spec, [])
            field.required = False
            field.archive_required = item.required  # type: ignore[attr-defined]
            field.help_text = ""
            if item.code == MESSAGE:
                field.widget = forms.Textarea(attrs={"rows": 4, "maxlength": 2000})
            elif item.spec.type == Type.PHONES:
                field.widget.attrs.update(autocomplete="tel", type="tel")
            elif item.spec.type == Type.EMAILS:
                field.widget.attrs.update(autocomplete="email", type="email")
            elif item.code == "name":
                field.widget.attrs.update(autocomplete="name")
                if web_form.kind == "person":
                    field.label = pgettext_lazy("a person's", "Name")  # 姓名, not 名称
            self.fields[item.code] = field
        self.fields[HONEYPOT] = forms.CharField(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        if web_form.consent_text:
            self.fields["consent"] = forms.BooleanField(required=False, label=_("I agree"))

    def archive_values(self) -> dict[str, Any]:
        return {code: self.cleaned_data.get(code) for code in self.codes}

    def archive_fields(self) -> list[forms.BoundField]:
        return [self[code] for code in self.codes]

    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT))


FIELD_HELP = _("Tick the fields the form asks; name is always asked and required.")


class WebFormDefinitionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    slug = forms.SlugField(
        label=_("Address"), max_length=60, help_text=_("The form is published at /f/<address>/.")
    )
    kind = forms.ChoiceField(
        label=_("Kind of customer"),
        choices=[("person", _("Person")), ("organization", _("Organization"))],
    )
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_codes = forms.MultipleChoiceField(
        label=_("Fields"), widget=forms.CheckboxSelectMultiple, help_text=FIELD_HELP
    )
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"), required=False, widget=forms.CheckboxSelectMultiple
    )
    consent_text = forms.CharField(
        label=_("Consent text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the visitor agrees to; a changed text becomes a new version."),
    )
    consent_purposes = forms.MultipleChoiceField(
        label=_("The consent covers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=Purpose.choices,
        help_text=_("Each consenting visitor is added to the consent register for these."),
    )
    thank_you_message = forms.CharField(
        label=_("Thank-you message"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = UserChoiceField(
        label=_("Owner of new leads"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: the lead assignment rule decides."),
    )
    product = forms.ModelChoiceField(
        label=_("Product asked about"),
        queryset=Product.objects.none(),
        required=False,
        help_text=_("Lead routing rules by product send its leads to the product's people."),
    )
    embed_origins = forms.CharField(
        label=_("Sites that may embed it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address per line, e.g. https://www.example.com; empty: any site."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (code, capfirst(str(spec.label))) for code, spec in form_field_specs(kind).items()
        ]
        self.fields["field_codes"].choices = choices  # type: ignore[attr-defined]
        self.fields["required_fields"].choices = choices  # type: ignore[attr-defined]
        self.fields["kind"].initial = kind
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")
        self.fields["product"].queryset = Product.objects.order_by("code")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(form: WebForm) -> dict[str, Any]:
        return {
            "title": form.title,
            "slug": form.slug,
            "kind": form.kind,
            "intro": form.intro,
            "field_codes": [f["code"] for f in form.fields],
            "required_fields": [f["code"] for f in form.fields if f["required"]],
            "consent_text": form.consent_text,
            "consent_purposes": form.consent_purposes,
            "thank_you_message": form.thank_you_message,
            "owner": form.owner_id,
            "product": form.product_id,
            "embed_origins": "\n".join(form.embed_origins),
            "is_active": form.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        required = set(data["required_fields"])
        owner = data["owner"]
        return {
            "title": data["title"],
            "slug": data["slug"],
            "kind": data["kind"],
            "intro": data["intro"],
            "fields": [
                {"code": code, "required": code in required} for code in data["field_codes"]
            ],
            "consent_text": data["consent_text"],
            "consent_purposes": data["consent_purposes"],
            "thank_you_message": data["thank_you_message"],
            "owner_id": owner.pk if owner else None,
            "product_id": data["product"].pk if data["product"] else None,
            "embed_origins": data["embed_origins"].splitlines(),
            "is_active": data["is_active"],
        }


class LeadAssignmentForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("Rule"), choices=LeadAssignment.Rule.choices, widget=forms.RadioSelect
    )
    team = forms.ModelChoiceField(
        label=_("Team (round robin)"), queryset=Team.objects.all(), required=False
    )
    user = UserChoiceField(
        label=_("User (always the same)"), queryset=User.objects.none(), required=False
    )
    fallback_user = UserChoiceField(
        label=_("Fallback owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Takes the lead when the rule finds nobody, instead of the public pool."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = User.objects.filter(is_active=True).order_by("username")
        self.fields["user"].queryset = active  # type: ignore[attr-defined]
        self.fields["fallback_user"].queryset = active  # type: ignore[attr-defined]


class LeadRoutingRuleForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Rule"), choices=LeadRoutingRule.Kind.choices, widget=forms.RadioSelect
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    target = forms.ChoiceField(
        label=_("Goes to"), choices=LeadRoutingRule.Target.choices, widget=forms.RadioSelect
    )
    user = UserChoiceField(label=_("User"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(
        label=_("Team (round robin)"), queryset=Team.objects.all(), required=False
    )
    sort_order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Rules are checked from the lowest number; the first that matches decides."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kehu.core.regions import provinces

        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (p.province, p.province) for p in provinces()
        ]
        self.fields["product"].queryset = Product.objects.order_by("code")  # type: ignore[attr-defined]
        self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")

    @staticmethod
    def initial_for(rule: LeadRoutingRule) -> dict[str, Any]:
        return {
            "kind": rule.kind,
            "province": rule.province,
            "product": rule.product_id,
            "target": rule.target,
            "user": rule.user_id,
            "team": rule.team_id,
            "sort_order": rule.sort_order,
            "is_active": rule.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "province": data["province"],
            "product_id": data["product"].pk if data["product"] else None,
            "target": data["target"],
            "user_id": data["user"].pk if data["user"] else None,
            "team_id": data["team"].pk if data["team"] else None,
            "sort_order": data["sort_order"],
            "is_active": data["is_active"],
        }


class CallerLookupForm(forms.Form):
    number = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "off", "autofocus": True}
        ),
    )
