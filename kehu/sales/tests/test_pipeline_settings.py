"""The pipeline settings page: administrators add, rename, reorder and remove stages; the
pipeline keeps exactly one won and one lost stage, and a stage's opportunities move (with
their history) before it goes."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.accounts.models import Role
from kehu.sales import services
from kehu.sales.models import Opportunity, OpportunityMove, PipelineStage

pytestmark = pytest.mark.django_db


def stage(code):
    return PipelineStage.objects.get(code=code)


@pytest.fixture
def archive_admin(make_user):
    return make_user(Role.ARCHIVE_ADMIN)


def _form(**values):
    form = {"name": "报价", "name_en": "Quote", "outcome": "open", "probability": "40",
            "sort_order": "35"}  # fmt: skip
    form.update(values)
    return form


def test_page_lists_stages_for_admins_and_refuses_reps(client, rep, archive_admin):
    client.force_login(rep)
    assert client.get(reverse("sales:pipeline")).status_code == 403
    assert client.post(reverse("sales:pipeline_stage_create"), _form(code="x")).status_code == 403
    proposal = stage("proposal")
    edit = reverse("sales:pipeline_stage_edit", args=[proposal.pk])
    assert client.post(edit, _form()).status_code == 403
    delete = reverse("sales:pipeline_stage_delete", args=[proposal.pk])
    assert client.post(delete).status_code == 403
    assert PipelineStage.objects.filter(pk=proposal.pk, name_en="Proposal").exists()
    client.force_login(archive_admin)
    page = client.get(reverse("sales:pipeline")).content.decode()
    assert 'data-testid="pipeline-table"' in page
    for code in ("qualify", "needs_analysis", "proposal", "negotiation", "won", "lost"):
        assert f'data-testid="stage-{code}"' in page
    assert 'data-testid="tab-pipeline"' in page


def test_add_rename_and_reorder(client, archive_admin):
    client.force_login(archive_admin)
    response = client.post(reverse("sales:pipeline_stage_create"), _form(code="quote"))
    assert response.status_code == 302
    quote = stage("quote")
    assert (quote.name, quote.name_en, quote.probability, quote.sort_order) == (
        "报价", "Quote", 40, 35,
    )  # fmt: skip
    edit = reverse("sales:pipeline_stage_edit", args=[quote.pk])
    response = client.post(edit, _form(name="正式报价", probability="45", sort_order="5"))
    assert response.status_code == 302
    from kehu.sales.selectors import pipeline_stages

    assert pipeline_stages()[0].code == "quote"
    assert stage("quote").name == "正式报价"


@pytest.mark.parametrize(
    ("code", "values", "message"),
    [
        ("qualify", {"outcome": "won"}, "The pipeline needs exactly one won stage."),
        ("lost", {"outcome": "open"}, "The pipeline needs exactly one lost stage."),
        ("proposal", {"probability": "120"}, "Ensure this value is less than or equal to 100."),
        ("proposal", {"name": ""}, "This field is required."),
    ],
)
def test_validation(client, archive_admin, code, values, message):
    client.force_login(archive_admin)
    before = list(PipelineStage.objects.values_list("code", "outcome", "probability", "name"))
    edit = reverse("sales:pipeline_stage_edit", args=[stage(code).pk])
    response = client.post(edit, _form(**values))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(PipelineStage.objects.values_list("code", "outcome", "probability", "name")) == (
        before
    )


def test_a_second_won_stage_and_a_taken_code_are_refused(client, archive_admin):
    client.force_login(archive_admin)
    url = reverse("sales:pipeline_stage_create")
    response = client.post(url, _form(code="won_too", outcome="won"))
    assert "The pipeline needs exactly one won stage." in response.content.decode()
    response = client.post(url, _form(code="proposal"))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert PipelineStage.objects.count() == 6


def test_outcome_cannot_change_while_opportunities_are_in_the_stage(rep, customer, archive_admin):
    services.opportunity_create(
        user=rep, customer=customer, name="x", amount=Decimal(1), stage=stage("won")
    )
    with pytest.raises(ValidationError) as caught:
        services.pipeline_stage_save(
            user=archive_admin, stage=stage("won"), data={"outcome": "open"}
        )
    assert "its outcome cannot change" in str(caught.value)


def test_deleting_a_stage_with_opportunities_offers_to_move_them(
    client, rep, customer, archive_admin
):
    # given: two opportunities in "needs analysis"
    needs = stage("needs_analysis")
    opportunities = [
        services.opportunity_create(
            user=rep, customer=customer, name=f"商机{i}", amount=Decimal(100), stage=needs
        )
        for i in range(2)
    ]
    client.force_login(archive_admin)
    url = reverse("sales:pipeline_stage_delete", args=[needs.pk])
    page = client.get(url).content.decode()
    assert "2 opportunities are in this stage" in page
    # when: deleted without a target
    response = client.post(url, {"move_to": ""})
    # then: refused, nothing moved
    assert response.status_code == 400
    assert "choose where they go" in response.content.decode()
    assert Opportunity.objects.filter(stage=needs).count() == 2
    # a won stage is no target for open opportunities
    response = client.post(url, {"move_to": stage("won").pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Opportunity.objects.filter(stage=needs).count() == 2
    # when: moved to "proposal"
    proposal = stage("proposal")
    response = client.post(url, {"move_to": proposal.pk})
    assert response.status_code == 302
    for opportunity in opportunities:
        opportunity.refresh_from_db()
        assert (opportunity.stage_id, opportunity.probability) == (proposal.pk, 50)
        move = OpportunityMove.objects.filter(opportunity=opportunity).latest("id")
        assert (move.from_stage_id, move.to_stage_id, move.moved_by) == (
            needs.pk, proposal.pk, archive_admin,
        )  # fmt: skip
    # the stage is retired (history names it), no longer on the board
    needs.refresh_from_db()
    assert not needs.is_active
    assert client.get(reverse("sales:pipeline_stage_edit", args=[needs.pk])).status_code == 404


def test_an_unused_stage_is_deleted_and_won_lost_cannot_be(client, archive_admin):
    client.force_login(archive_admin)
    client.post(reverse("sales:pipeline_stage_create"), _form(code="quote"))
    quote = stage("quote")
    response = client.post(reverse("sales:pipeline_stage_delete", args=[quote.pk]))
    assert response.status_code == 302
    assert not PipelineStage.objects.filter(code="quote").exists()
    response = client.post(reverse("sales:pipeline_stage_delete", args=[stage("won").pk]))
    assert response.status_code == 400
    assert "cannot be removed" in response.content.decode()
    assert stage("won").is_active
