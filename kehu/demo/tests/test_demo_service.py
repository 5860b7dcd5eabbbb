"""Demo service data (``kehu demo --service``): cases in realistic proportions with their SLA
history, ratings on resolved cases only, escalated breaches, feedback; all readable through
the service selectors and the 360° page."""

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from kehu.accounts.models import User
from kehu.demo.service_load import demo_service_load
from kehu.sales import selectors as sales_selectors
from kehu.service.models import Case, CaseEvent, CaseRating, Feedback
from kehu.service.selectors import breached_q

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)


@pytest.fixture
def archive():
    call_command("demo", "--customers", "1500", "--seed", "5", "--order-lines", "3000",
                 "--service", "0", verbosity=0)  # fmt: skip


def test_cases_look_like_a_service_desk(archive):
    cases, ratings, feedback = demo_service_load(seed=5, agent="sunli", now=NOW, scale=3)
    assert (Case.objects.count(), CaseRating.objects.count(), Feedback.objects.count()) == (
        cases, ratings, feedback,
    )  # fmt: skip
    types = Counter(Case.objects.values_list("type", flat=True))
    # after-sales about half, questions under a third, complaints about a fifth
    assert 0.4 < types["after_sales"] / cases < 0.6
    assert 0.2 < types["question"] / cases < 0.4
    assert 0.12 < types["complaint"] / cases < 0.28
    statuses = Counter(Case.objects.values_list("status", flat=True))
    assert set(statuses) == {"new", "in_progress", "waiting", "resolved", "closed"}
    assert statuses["closed"] + statuses["resolved"] > cases / 2
    # deadlines in order, responses and resolutions after opening
    assert not Case.objects.filter(resolution_due_at__lt=F("response_due_at")).exists()
    assert not Case.objects.filter(first_response_at__lt=F("created_at")).exists()
    assert not Case.objects.filter(resolved_at__lt=F("created_at")).exists()
    assert not Case.objects.filter(status="new", first_response_at__isnull=False).exists()
    assert not Case.objects.filter(status="closed", closed_at__isnull=True).exists()
    assert not Case.objects.filter(status="resolved", resolution="").exists()
    # some open cases are past their deadline, each escalated once
    breached = Case.objects.filter(breached_q(NOW))
    assert breached.exists()
    assert not breached.filter(escalated_at__isnull=True).exists()
    assert CaseEvent.objects.filter(kind="escalated").count() == breached.count()
    # some closed cases were resolved late
    assert Case.objects.filter(resolved_at__gt=F("resolution_due_at")).exists()
    # ratings: resolved or closed cases only, complaints rated lower
    assert not CaseRating.objects.exclude(case__status__in=["resolved", "closed"]).exists()
    assert ratings > 0.5 * (statuses["closed"] + statuses["resolved"])
    complaint = [s for s, t in CaseRating.objects.values_list("score", "case__type")
                 if t == "complaint"]  # fmt: skip
    others = [s for s, t in CaseRating.objects.values_list("score", "case__type")
              if t != "complaint"]  # fmt: skip
    assert sum(complaint) / len(complaint) < sum(others) / len(others)
    # every case has its opened event; every rating its rated event
    assert CaseEvent.objects.filter(kind="opened").count() == cases
    assert CaseEvent.objects.filter(kind="rated").count() == ratings
    kinds = Counter(Feedback.objects.values_list("kind", flat=True))
    assert set(kinds) == {"product_comment", "question", "market_comment"}


def test_the_same_seed_gives_the_same_cases(archive):
    demo_service_load(seed=9, agent="sunli", now=NOW)
    first = list(Case.objects.order_by("id").values_list("customer", "type", "status"))
    Case.objects.all().delete()
    Feedback.objects.all().delete()
    demo_service_load(seed=9, agent="sunli", now=NOW)
    assert list(Case.objects.order_by("id").values_list("customer", "type", "status")) == first


def test_demo_command_loads_service_and_the_sales_summary(client):
    call_command("demo", "--customers", "300", "--seed", "3", "--order-lines", "900", verbosity=0)
    assert Case.objects.exists()
    assert Feedback.objects.exists()
    # the sales summary was rebuilt after the load: the report reads the same figures
    leader = User.objects.get(username="lijun")
    args: dict[str, Any] = {"user": leader, "start": date(2020, 1, 1), "end": timezone.localdate()}
    summary = sales_selectors.sales_performance(**args, source="summary")
    rows = sales_selectors.sales_performance(**args, source="rows")
    assert summary.total.orders > 0
    assert (summary.total.orders, summary.total.revenue, summary.total.collected) == (
        rows.total.orders, rows.total.revenue, rows.total.collected,
    )  # fmt: skip
    # a customer with a case renders on the 360° page with the service card
    case = Case.objects.order_by("id")[0]
    client.force_login(User.objects.get(username="sunli"))
    response = client.get(f"/customers/{case.customer_id}/")
    assert response.status_code == 200
    assert case.subject in response.content.decode()
