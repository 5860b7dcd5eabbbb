"""Property-based fuzz of the whole HTTP API (schemathesis, in-process over WSGI).

For an administrator and a sales rep, every operation of the published OpenAPI schema gets
generated requests, valid ones and invalid ones; every answer must be no 5xx, a status the
schema lists, a body that matches the schema, and invalid input refused. Derandomized, so a run
is reproducible; ``KEHU_FUZZ_EXAMPLES`` raises the examples per operation for a deeper run.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.accounts import services as account_services
from kehu.accounts.models import Role
from kehu.customers import services as customer_services

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("KEHU_FUZZ_EXAMPLES", "2"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def api_schema():
    from kehu.config.api import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
    schema.app = WSGIHandler()
    return schema


def fuzz(token, mode, checks):
    """Every operation's failures, as text; empty when all held."""
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for result in api_schema().get_all_operations():
        operation_test(result.ok(), mode, checks, headers, failures)()
    return failures


def operation_test(operation, mode, checks, headers, failures):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (AssertionError, FailureGroup) as exc:  # collect all, then report them
            first = exc.exceptions[0] if isinstance(exc, FailureGroup) else exc
            failures.append(f"{operation.label}: {str(first)[:600]}")

    return run


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # A bare WSGIHandler closes the database connection after each request (Django's test
    # client suspends that): on PostgreSQL that would end the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def archive(make_user):
    rep = make_user(Role.SALES_REP, username="fuzzrep")
    admin = make_user(Role.ADMIN, username="fuzzadmin", is_staff=True, is_superuser=True)
    for n in range(3):
        customer_services.customer_create(
            user=rep, kind="person", data={"name": f"张{n}", "phones": f"1380013800{n}"}
        )
    return {"admin": admin, "rep": rep}


@pytest.mark.parametrize("who", ["admin", "rep"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_under_fuzzing(archive, who, mode):
    _row, token = account_services.api_token_create(user=archive[who], name="fuzz")
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])
    failures = fuzz(token, mode, checks)
    assert not failures, "\n\n".join(failures)
