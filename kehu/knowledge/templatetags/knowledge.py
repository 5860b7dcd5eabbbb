from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from kehu.core.access import can_ask_questions
from kehu.knowledge.selectors import knowledge_for

register = template.Library()


@register.inclusion_tag("knowledge/partials/knowledge_card.html", takes_context=True)
def knowledge_card(
    context: dict[str, Any],
    customer: Any,
    channel: str,
    text: str = "",
    product: Any = None,
    product_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Articles for the products at hand and the text (a case's subject), the customer's
    questions still waiting, and "Ask an expert" with the customer, channel, product and text
    filled in: on the case page, the screen-pop and the 360° page."""
    user = context["request"].user
    ids = list(product_ids or [])
    if product is not None:
        ids.insert(0, product.pk)
    card = knowledge_for(user=user, text=text, product_ids=ids, customer_id=customer.pk)
    ask = ""
    if can_ask_questions(user):
        query = {"customer": customer.pk, "channel": channel}
        if product is not None:
            query["product"] = product.pk
        if text:
            query["text"] = text
        ask = f"{reverse('knowledge:question_new')}?{urlencode(query)}"
    return {"card": card, "ask_url": ask, "customer": customer}
