import pytest

from kehu.customers.tests.factories import make_person
from kehu.demo.surveys_load import demo_surveys_report
from kehu.surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_demo_surveys_are_answered(marketer, rep):
    for i in range(12):
        make_person(rep, f"演示{i}")
    lines: list[str] = []
    demo_surveys_report(marketer=marketer.username, seed=1, write=lines.append)
    satisfaction = Survey.objects.get(kind=Survey.Kind.SATISFACTION)
    assert satisfaction.status == Survey.Status.CLOSED
    assert satisfaction.responses.exists()
    assert Survey.objects.get(kind=Survey.Kind.MARKET).responses.count() == 40
    assert any("too few buyers" in line for line in lines)  # no orders in this archive
    demo_surveys_report(marketer=marketer.username, seed=1, write=lines.append)  # idempotent
    assert Survey.objects.count() == 2
