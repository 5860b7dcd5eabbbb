"""The responses of a survey exported through ``kehu.exports``: rows in the requester's scope,
sensitive answers masked unless the role may reveal them (then audited), refused to roles that
may not export or not read results."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from kehu.accounts.models import Role
from kehu.core.models import AuditEvent
from kehu.exports.models import ExportJob
from kehu.surveys import services
from kehu.surveys.links import invitation_token
from kehu.surveys.sheets import MASK
from kehu.surveys.tests.test_surveys import answers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def answered(marketer, survey, customer):
    """王芳 answered by her link, with consent to the sensitive question."""
    (invitation,) = services.invitations_create(user=marketer, survey=survey, customers=[customer])
    token = invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce)
    return services.response_submit(
        survey=survey, token=token, answers=answers(survey), consent=True
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def rows_of(client, job, fmt):
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_marketer_exports_the_responses_masked(marketer, survey, answered, fmt):
    client = client_for(marketer)
    response = client.post(f"/surveys/{survey.pk}/export/", {"format": fmt})
    assert response.status_code == 302
    assert response["Location"] == "/exports/"
    job = ExportJob.objects.get(requester=marketer)
    assert (job.kind, job.status, job.row_count) == ("responses", "done", 1)
    header, row = rows_of(client, job, fmt)
    assert header[4] == "Customer"
    assert header[6].startswith("1. ")
    assert row[4] == "王芳"
    # children is sensitive (family): a marketer may not reveal it
    assert row[6] == MASK
    assert row[7] == "Picture books; Classes"
    assert str(row[8]) == "10"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, object_id=str(job.pk))
    assert event.detail["kind"] == "responses"
    assert event.detail["survey"] == survey.pk
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).exists()


def test_an_admin_sees_the_sensitive_answer_and_the_reveal_is_audited(make_user, survey, answered):
    admin = make_user(Role.ADMIN, username="adm")
    client = client_for(admin)
    response = client.post(
        f"/api/v1/surveys/{survey.pk}/export", {"format": "csv"}, content_type="application/json"
    )
    assert response.status_code == 201
    job = ExportJob.objects.get(pk=response.json()["id"])
    _header, row = rows_of(client, job, "csv")
    assert row[6] == "Children aged 3–6"
    reveal = AuditEvent.objects.get(action=AuditEvent.Action.REVEAL, object_id=str(job.pk))
    assert reveal.detail["field"] == "person.children"
    assert reveal.detail["group"] == "family"


@pytest.mark.parametrize("role", [Role.LEADER, Role.SALES_REP, Role.SERVICE_AGENT])
def test_roles_that_may_not_export_responses_are_refused(make_user, survey, answered, role):
    user = make_user(role, username=f"u-{role}")
    client = client_for(user)
    page = client.post(f"/surveys/{survey.pk}/export/", {"format": "csv"})
    api = client.post(
        f"/api/v1/surveys/{survey.pk}/export", {"format": "csv"}, content_type="application/json"
    )
    assert page.status_code in {403, 404}
    assert api.status_code in {403, 404}
    assert not ExportJob.objects.exists()


def test_someone_elses_responses_export_is_not_found(marketer, make_user, survey, answered):
    job = client_for(marketer).post(f"/surveys/{survey.pk}/export/", {"format": "csv"})
    job = ExportJob.objects.get(requester=marketer)
    other = make_user(Role.MARKETER, username="mkt2")
    assert client_for(other).get(f"/exports/{job.pk}/download/").status_code == 404


def test_a_bad_format_is_a_clear_error(marketer, survey, answered):
    client = client_for(marketer)
    api = client.post(
        f"/api/v1/surveys/{survey.pk}/export", {"format": "pdf"}, content_type="application/json"
    )
    assert api.status_code == 422
    assert "csv" in str(api.json())
    page = client.post(f"/surveys/{survey.pk}/export/", {"format": "pdf"}, follow=True)
    assert page.status_code == 200
    assert "Choose one of" in page.content.decode()
    assert not ExportJob.objects.exists()
