"""Forms of the knowledge UI. Lenient: the services validate and their errors land on the fields."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.widgets import IsoDateInput
from kehu.knowledge.models import (
    Article,
    ArticleStatus,
    Audience,
    Category,
    QuestionChannel,
    Urgency,
)
from kehu.knowledge.selectors import categories
from kehu.sales.models import PipelineStage, Product


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Body"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: **bold**, lists, tables, links. HTML is shown as text."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate several with commas.")
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products"), queryset=Product.objects.none(), required=False
    )
    stage = forms.ModelChoiceField(
        label=_("Playbook for the stage"),
        queryset=PipelineStage.objects.none(),
        required=False,
        help_text=_("Shown on the opportunities in this stage."),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"), queryset=User.objects.none(), required=False
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=IsoDateInput(),
        help_text=_("For time-bound knowledge such as price lists and promotions."),
    )
    note = forms.CharField(label=_("What changed"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories()  # type: ignore[attr-defined]
        self.fields["products"].queryset = Product.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["stage"].queryset = PipelineStage.objects.filter(  # type: ignore[attr-defined]
            outcome=PipelineStage.Outcome.OPEN
        ).order_by("sort_order")
        self.fields["reviewers"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=["archive_admin", "admin"]
        ).order_by("username")

    @classmethod
    def for_article(cls, article: Article, data: Any = None) -> "ArticleForm":
        initial = {
            "title": article.title,
            "body": article.body,
            "category": article.category_id,
            "tags": ", ".join(article.tags),
            "products": list(article.products.values_list("pk", flat=True)),
            "stage": article.stage_id,
            "audience": article.audience,
            "reviewers": list(article.reviewers.values_list("pk", flat=True)),
            "valid_until": article.valid_until,
        }
        return cls(data, initial=initial)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        tags = [t for t in data["tags"].replace("，", ",").split(",") if t.strip()]
        return {
            "title": data["title"],
            "body": data["body"],
            "category": data["category"],
            "tags": tags,
            "audience": data["audience"],
            "stage": data["stage"],
            "valid_until": data["valid_until"],
            "products": list(data["products"]),
            "reviewers": list(data["reviewers"]),
        }


class ArticleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("Words, pinyin or initials"), "type": "search"}
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("All categories"),
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("All products"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ArticleStatus.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories()  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.order_by("name")  # type: ignore[attr-defined]


class FaqSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Question"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial="normal")
    channel = forms.ChoiceField(
        label=_("Channel"), choices=QuestionChannel.choices, initial="other"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories()  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.order_by("name")  # type: ignore[attr-defined]


class ExpertForm(forms.Form):
    """A user's place in the expert directory: the topics they answer, and whether they take
    questions now. A new entry names its user; an existing one keeps it."""

    user = forms.ModelChoiceField(label=_("Expert"), queryset=User.objects.none())
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    available = forms.BooleanField(label=_("Takes questions now"), required=False, initial=True)

    def __init__(self, *args: Any, fixed_user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True, is_integration=False).order_by("username")
        self.fields["user"].queryset = users  # type: ignore[attr-defined]
        if fixed_user is not None:
            self.fields["user"].disabled = True
            self.fields["user"].initial = fixed_user.pk
        self.fields["categories"].queryset = categories()  # type: ignore[attr-defined]
        self.fields["products"].queryset = Product.objects.order_by("name")  # type: ignore[attr-defined]
