"""Customer feedback (客户知识): product and market comments, questions with their solutions."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    can_record_feedback,
    require,
)
from kehu.customers.models import Customer
from kehu.sales.models import Product
from kehu.service.models import (
    Case,
    Feedback,
)
from kehu.service.services.common import MAX_TEXT

PRODUCT_ONLY = ("satisfaction", "lifecycle_opinion", "understands_product", "preferences")


@transaction.atomic
def feedback_record(
    *,
    user: User,
    customer: Customer,
    kind: str,
    content: str,
    product: Product | None = None,
    product_code: str = "",
    product_name: str = "",
    satisfaction: int | None = None,
    lifecycle_opinion: str = "",
    understands_product: bool | None = None,
    preferences: str = "",
    market_type: str = "",
    question_type: str = "",
    solution: str = "",
    case: Case | None = None,
) -> Feedback:
    """Keep what the customer said about a product, the market or the company (客户知识).

    A ``product`` from the catalogue sets the code and name; without one, they are free text
    (a product the catalogue does not list)."""
    require(user, can_record_feedback, _("Your role may not record customer feedback."))
    if product is not None:
        product_code, product_name = product.code, product.name
    errors: dict[str, list[str]] = {}
    kinds = Feedback.Kind
    if kind not in kinds.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(kinds)}]
    if not content.strip():
        errors["content"] = [_("Write what the customer said.")]
    elif len(content) > MAX_TEXT:
        errors["content"] = [_("At most %(n)s characters.") % {"n": MAX_TEXT}]
    if kind == kinds.PRODUCT_COMMENT and not (product_name.strip() or product_code.strip()):
        errors["product_name"] = [_("Name the product the comment is about.")]
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Choose a score from 1 to 5.")]
    if lifecycle_opinion and lifecycle_opinion not in Feedback.LifecycleOpinion.values:
        errors["lifecycle_opinion"] = [_("Unknown life-cycle stage.")]
    if kind == kinds.QUESTION and question_type not in Feedback.QuestionType.values:
        errors["question_type"] = [_("Choose the question's type.")]
    if kind == kinds.MARKET_COMMENT and not market_type.strip():
        errors["market_type"] = [_("Say which market the comment is about.")]
    if case is not None and case.customer_id != customer.pk:
        errors["case"] = [_("This case belongs to another customer.")]
    for name, value in (("product_code", product_code), ("market_type", market_type)):
        if len(value) > 60:
            errors[name] = [_("At most %(n)s characters.") % {"n": 60}]
    if errors:
        raise ValidationError(errors)
    is_product = kind == kinds.PRODUCT_COMMENT
    return Feedback.objects.create(
        customer=customer,
        kind=kind,
        case=case,
        product=product,
        product_code=product_code.strip(),
        product_name=(product_name.strip() or product_code.strip())[:200],
        satisfaction=satisfaction if is_product else None,
        lifecycle_opinion=lifecycle_opinion if is_product else "",
        understands_product=understands_product if is_product else None,
        preferences=preferences.strip() if is_product else "",
        market_type=market_type.strip() if kind == kinds.MARKET_COMMENT else "",
        question_type=question_type if kind == kinds.QUESTION else "",
        content=content.strip(),
        solution=solution.strip() if kind == kinds.QUESTION else "",
        recorded_by=user,
    )
