"""Every API operation on a record, walked from the published OpenAPI document.

A sales rep's records (a customer and everything attached to it, their reminders, tasks,
segments and token) are asked for, operation by operation, by:

- another sales rep, who may not see them: every operation answers 404 (403 where the role may
  not use the operation at all), and no answer names the record;
- a leader, who sees every customer but writes none: every write answers 403 (404 for what is
  personal to its owner: a reminder, a task, a token, a segment).

Request bodies are the smallest the schema accepts, so that the answer is the scope's and not
the validation's. A new operation is walked without being listed here; a new kind of path
parameter fails the test until it is added to ``ids``.
"""

import functools
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kehu.accounts import services as account_services
from kehu.accounts.models import Role, User
from kehu.config.api import api
from kehu.customers.tests.factories import make_organization
from kehu.knowledge import questions
from kehu.sales.models import PipelineStage
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"
SECRET = "范围外秘密有限公司"  # the customer's name; no refused answer may contain it
UNSAFE = {"post", "put", "patch", "delete"}

# Path parameters naming a record of the rep's (the customer's, or the rep's own).
SCOPED = {
    "customer_id",
    "contact_id",
    "interaction_id",
    "reminder_id",
    "order_id",
    "payment_id",
    "opportunity_id",
    "case_id",
    "task_id",
    "segment_id",
    "feedback_id",
    "token_id",
    "question_id",
}
# Records that are their owner's alone: a leader who sees every customer does not see these.
PERSONAL = {"reminder_id", "token_id", "segment_id", "task_id", "question_id"}
# Path parameters of records that are not a rep's: the catalogue, settings, the archive
# administrator's tools. Another rep may read some (the catalogue), write none.
UNSCOPED = {
    "product_id",
    "channel_id",
    "custom_field_id",
    "form_id",
    "slug",
    "article_id",
    "user_id",
    "metric",
    "job_id",
    "batch_id",
    "run_id",
    "candidate_id",
    "merge_id",
    "mapping_id",
    "request_id",
    "rule_id",
    "level_id",
    "plan_id",
    "campaign_id",
    "member_id",
    "target_id",
    "survey_id",
    "view_id",
    "model_id",
    "event",
}
# Operations anyone may call without seeing a record: the public web-form submission.
PUBLIC = {
    ("post", "/forms/{slug}/submit"),
    ("post", "/campaigns/sms/reports"),
    ("post", "/campaigns/email/reports"),
}
# POSTs that read: revealing a sensitive field is a POST so that it is audited (the leader's
# refusal is tested with the customers' reveal tests).
READS = {("post", "/customers/{customer_id}/reveal")}
# Operations on a subset the walked record is not in: a claim from the public pool of a customer
# that has an owner is 404 for everyone; a case without a rating has no rating to read.
ELSEWHERE = {("post", "/pool/{customer_id}/claim"), ("get", "/cases/{case_id}/rating")}


@functools.cache
def schema() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="")


def resolve(components: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[1]]
    return node


def smallest(components: dict[str, Any], node: dict[str, Any]) -> Any:
    """The smallest value the JSON schema ``node`` accepts (enough to pass validation)."""
    node = resolve(components, node)
    if "default" in node:
        return node["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            options = [o for o in node[key] if resolve(components, o).get("type") != "null"]
            return smallest(components, options[0])
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {name: smallest(components, props[name]) for name in node.get("required", [])}
    if kind == "array":
        return [smallest(components, node["items"])] * node.get("minItems", 0)
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return max(1, node.get("minimum", 1))
    if kind == "boolean":
        return False
    fmt = node.get("format")
    if fmt == "date":
        return (timezone.localdate() + timedelta(days=1)).isoformat()
    if fmt == "date-time":
        return (timezone.now() + timedelta(days=1)).isoformat()
    if fmt == "email":
        return "a@example.com"
    return "x" * max(1, node.get("minLength", 1))


def body_for(
    components: dict[str, Any], operation: dict[str, Any], **values: Any
) -> tuple[Any, str] | None:
    """The smallest body the operation accepts, with ``values`` where a bare value would not do."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = smallest(components, content["application/json"]["schema"])
        return {**body, **{k: v for k, v in values.items() if k in body}}, "application/json"
    if content:  # multipart uploads: an empty form (the scope is checked before the file)
        return {}, "multipart/form-data"
    return None


def call(client: Client, method: str, path: str, body: tuple[Any, str] | None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        data, content_type = body
        if content_type == "application/json":
            kwargs = {"data": data, "content_type": content_type}
        else:
            kwargs = {"data": data}
    return getattr(client, method)(PREFIX + path, **kwargs)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def created(client: Client, path: str, **data: Any) -> int:
    components = schema()["components"]["schemas"]
    operation = schema()["paths"][path]["post"]
    body = body_for(components, operation)
    assert body is not None
    payload = {**body[0], **data}
    response = client.post(PREFIX + path.format(**data), payload, content_type="application/json")
    assert response.status_code in (200, 201), (path, response.content)
    return int(response.json()["id"])


@pytest.fixture
def ids(rep: User, make_user: Any, archivist: User) -> dict[str, Any]:
    """A rep's customer with a record of every kind attached, and the rep's own records."""
    expert = make_user(Role.SERVICE_AGENT, username="scope-expert")
    questions.expert_set(user=archivist, expert_user=expert, categories=[], products=[])
    client = logged_in(rep)
    customer = make_organization(rep, SECRET, phones="13800138000")
    product = ProductFactory.create(code="SCOPE-1", name="范围茶")
    order = created(
        client,
        "/orders/",
        customer_id=customer.pk,
        lines=[{"product_id": product.pk, "quantity": 1}],
    )
    created(client, "/interactions/", customer_id=customer.pk, summary=f"与{SECRET}通话")
    interaction = customer.interactions.get()
    reminder = customer.reminders.create(
        user=rep, kind="follow_up", due_on=timezone.localdate(), text=SECRET
    )
    token, _secret = account_services.api_token_create(user=rep, name="scope")
    return {
        "customer_id": customer.pk,
        "contact_id": created(
            client, "/customers/{customer_id}/contacts/", customer_id=customer.pk
        ),
        "interaction_id": interaction.pk,
        "reminder_id": reminder.pk,
        "order_id": order,
        "payment_id": created(client, "/payments/", order_id=order, amount="1.00"),
        "opportunity_id": created(client, "/opportunities/", customer_id=customer.pk),
        "case_id": created(client, "/cases/", customer_id=customer.pk),
        "task_id": created(client, "/tasks/", customer_id=customer.pk),
        "segment_id": created(client, "/segments/"),
        "feedback_id": created(
            client, "/feedback/", customer_id=customer.pk, product_name=product.name
        ),
        "token_id": token.pk,
        "question_id": created(client, "/knowledge/questions/", customer_id=customer.pk),
        "product_id": product.pk,
        "article_id": created(client, "/knowledge/articles/"),
        "user_id": rep.pk,
        "slug": "no-such-form",
        "metric": "missing",
        **dict.fromkeys(UNSCOPED - {"product_id", "article_id", "user_id", "slug"}, 1),
        "event": "case_closed",
    }


def people(ids: dict[str, Any]) -> dict[str, int]:
    """Users a body names (a new owner, an assignee): a real one, so the answer is the scope's."""
    return dict.fromkeys(("owner_id", "user_id", "to_user_id"), ids["user_id"])


def operations() -> list[tuple[str, str, dict[str, Any], list[str]]]:
    """(method, path, operation, path parameters) of every operation on a record."""
    found = []
    for path, methods in schema()["paths"].items():
        for method, operation in methods.items():
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            if params and (method, path) not in PUBLIC:
                found.append((method, path, operation, params))
    return found


def test_every_path_parameter_is_known():
    unknown = {p for _m, _p, _o, params in operations() for p in params} - SCOPED - UNSCOPED
    assert not unknown, f"add these path parameters to SCOPED or UNSCOPED: {unknown}"


def test_another_rep_is_answered_not_found_for_every_operation(ids, other_rep):
    client = logged_in(other_rep)
    components = schema()["components"]["schemas"]
    wrong = []
    for method, path, operation, params in operations():
        body = body_for(components, operation, **people(ids))
        response = call(client, method, path.format(**ids), body)
        expected = {404} if set(params) <= SCOPED else {403, 404}
        if method == "get" and not set(params) <= SCOPED:
            expected.add(200)  # the catalogue, a published article: everyone reads them
        if response.status_code not in expected or SECRET in response.content.decode():
            wrong.append(f"{method.upper()} {path}: {response.status_code} {response.content!r}")
    assert not wrong, "\n".join(wrong)


def test_a_leader_may_read_but_every_write_is_refused(ids, leader):
    client = logged_in(leader)
    stage = PipelineStage.objects.filter(is_active=True).first()
    assert stage is not None
    components = schema()["components"]["schemas"]
    wrong = []
    for method, path, operation, params in operations():
        if method not in UNSAFE or not set(params) <= SCOPED or (method, path) in READS | ELSEWHERE:
            continue
        body = body_for(components, operation, stage=stage.code, **people(ids))
        response = call(client, method, path.format(**ids), body)
        expected = 404 if set(params) & PERSONAL else 403
        if response.status_code != expected:
            wrong.append(f"{method.upper()} {path}: {response.status_code} {response.content!r}")
    assert not wrong, "\n".join(wrong)


def test_the_owner_may_still_do_what_the_others_are_refused(ids, rep):
    """The walk above is not refused for everyone: the rep reads each of their records."""
    client = logged_in(rep)
    wrong = []
    for method, path, _operation, params in operations():
        if method == "get" and set(params) <= SCOPED and (method, path) not in ELSEWHERE:
            response = call(client, method, path.format(**ids), None)
            if response.status_code != 200:
                wrong.append(f"GET {path}: {response.status_code} {response.content!r}")
    assert not wrong, "\n".join(wrong)
