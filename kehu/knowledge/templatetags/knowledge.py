from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from kehu.core.access import can_ask_questions, can_manage_knowledge, can_write_articles
from kehu.knowledge.selectors import knowledge_for, sales_knowledge

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


@register.inclusion_tag("knowledge/partials/sales_knowledge.html", takes_context=True)
def sales_knowledge_card(context: dict[str, Any], opportunity: Any) -> dict[str, Any]:
    """The playbooks for an opportunity's stage and products, its win/loss notes, and (once it
    is won or lost) "Write a win/loss note"."""
    user = context["request"].user
    closed = opportunity.stage.outcome != "open"
    return {
        "knowledge": sales_knowledge(user=user, opportunity=opportunity),
        "opportunity": opportunity,
        "can_note": closed and (can_write_articles(user) or can_manage_knowledge(user)),
        "csrf_token": context.get("csrf_token"),
    }
