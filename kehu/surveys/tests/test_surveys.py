import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.exceptions import Conflict
from kehu.customers.models import CustomerChange
from kehu.interactions.models import Interaction
from kehu.privacy.models import ConsentRecord, Purpose
from kehu.surveys import selectors, services
from kehu.surveys.links import LinkProblem, invitation_token
from kehu.surveys.models import Answer, Question, Response, Survey
from kehu.surveys.tests.conftest import q

pytestmark = pytest.mark.django_db


def _token(invitation):
    return invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce)


def test_a_rep_may_not_build_surveys(rep):
    with pytest.raises(PermissionDenied):
        services.survey_save(user=rep, data={"title_zh": "x"})


def test_a_published_survey_is_frozen_and_a_new_version_copies_it(marketer, survey):
    with pytest.raises(Conflict):
        services.question_save(
            user=marketer, survey=survey, data={"kind": "text", "text_zh": "再问一个"}
        )
    copy = services.survey_new_version(user=marketer, survey=survey)
    assert copy.version == 2
    assert copy.status == Survey.Status.DRAFT
    assert copy.questions.count() == 5
    follow_up = q(copy, 2)
    assert follow_up.show_if["question"] == q(copy, 1).pk
    services.survey_publish(user=marketer, survey=copy)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED


def test_builder_checks_choices_skip_rules_and_archive_fields(marketer):
    draft = services.survey_save(user=marketer, data={"title_zh": "草稿"})
    with pytest.raises(ValidationError) as err:
        services.question_save(
            user=marketer,
            survey=draft,
            data={"kind": "single", "text_zh": "单选", "choices": ["只有一个"]},
        )
    assert "choices" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.question_save(
            user=marketer,
            survey=draft,
            data={"kind": "nps", "text_zh": "推荐", "archive_field": "person.birth_date"},
        )
    assert "archive_field" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.question_save(
            user=marketer,
            survey=draft,
            data={"kind": "text", "text_zh": "x", "show_if": {"question": 999, "values": ["1"]}},
        )
    assert "show_if" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.survey_publish(user=marketer, survey=draft)  # no questions


def test_required_and_skip_logic(survey):
    # children = "no": the follow-up is skipped, so not required; NPS is required
    with pytest.raises(ValidationError) as err:
        services.answers_clean(survey, {str(q(survey, 1).pk): "2"})
    assert set(err.value.message_dict) == {f"q{q(survey, 3).pk}"}
    # children = "yes": the follow-up becomes required
    with pytest.raises(ValidationError) as err:
        services.answers_clean(survey, {str(q(survey, 1).pk): "1", str(q(survey, 3).pk): 9})
    assert set(err.value.message_dict) == {f"q{q(survey, 2).pk}"}
    with pytest.raises(ValidationError):  # NPS out of 0–10
        services.answers_clean(survey, {str(q(survey, 1).pk): "2", str(q(survey, 3).pk): 11})
    cleaned = services.answers_clean(
        survey, {str(q(survey, 1).pk): "2", str(q(survey, 2).pk): ["1"], str(q(survey, 3).pk): 0}
    )
    assert q(survey, 2) not in cleaned  # a skipped question's answer is dropped


def answers(survey, *, children="1", products=("1", "2"), nps=10, scale=5, text="很好"):
    return {
        str(q(survey, 1).pk): children,
        str(q(survey, 2).pk): list(products),
        str(q(survey, 3).pk): nps,
        str(q(survey, 4).pk): scale,
        str(q(survey, 5).pk): text,
    }


def test_the_personal_link_fills_the_archive_with_consent_and_works_once(
    marketer, survey, customer
):
    # given an invitation sent by e-mail
    (invitation,) = services.invitations_create(user=marketer, survey=survey, customers=[customer])
    assert services.invitations_send(user=marketer, survey=survey, base_url="http://x") == 1
    assert "/s/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["wangfang@example.com"]
    token = _token(invitation)
    # when the customer answers with consent to the sensitive question
    response = services.response_submit(
        survey=survey, token=token, answers=answers(survey), consent=True
    )
    # then the archive has the facts, with the channel "survey"
    customer.refresh_from_db()
    assert customer.person.children == "有 3–6 岁子女"
    assert customer.person.preferred_products == "绘本、早教课程"
    change = CustomerChange.objects.get(customer=customer, field="person.children")
    assert change.channel is not None
    assert change.channel.code == "survey"
    assert change.sensitive
    # the consent is in the register, the answer on the timeline
    consent = ConsentRecord.objects.get(customer=customer, purpose=Purpose.SENSITIVE_DATA)
    assert consent.granted
    assert f"response {response.pk}" in consent.reference
    interaction = Interaction.objects.get(customer=customer, type=Interaction.Type.SURVEY)
    assert response.interaction == interaction
    # and the link works once
    with pytest.raises(LinkProblem) as problem:
        services.invitation_for_token(token)
    assert problem.value.reason == "used"


def test_without_consent_a_sensitive_answer_is_neither_kept_nor_filed(marketer, survey, customer):
    (invitation,) = services.invitations_create(user=marketer, survey=survey, customers=[customer])
    response = services.response_submit(
        survey=survey, token=_token(invitation), answers=answers(survey), consent=False
    )
    customer.refresh_from_db()
    assert customer.person.children == ""
    assert customer.person.preferred_products == "绘本、早教课程"  # not sensitive
    assert not response.answers.filter(question=q(survey, 1)).exists()
    assert not ConsentRecord.objects.filter(customer=customer).exists()


def test_forged_expired_and_closed_links_are_refused(marketer, survey, customer, settings):
    (invitation,) = services.invitations_create(user=marketer, survey=survey, customers=[customer])
    with pytest.raises(LinkProblem) as problem:
        services.invitation_for_token(_token(invitation) + "x")
    assert problem.value.reason == "invalid"
    with pytest.raises(LinkProblem) as problem:
        services.invitation_for_token(invitation_token(invitation_id=invitation.pk, nonce="n"))
    assert problem.value.reason == "invalid"
    services.survey_close(user=marketer, survey=survey)
    with pytest.raises(LinkProblem) as problem:
        services.invitation_for_token(_token(invitation))
    assert problem.value.reason == "closed"


def test_reminders_go_once_to_those_who_have_not_answered(marketer, survey, customer, rep):
    from kehu.customers.tests.factories import make_person

    other = make_person(rep, "李娜", emails=["lina@example.com"])
    first, second = services.invitations_create(
        user=marketer, survey=survey, customers=[customer, other]
    )
    services.invitations_send(user=marketer, survey=survey)
    services.response_submit(survey=survey, token=_token(first), answers=answers(survey))
    mail.outbox.clear()
    assert services.survey_remind(user=None, survey=survey) == 1
    assert mail.outbox[0].to == ["lina@example.com"]
    assert services.survey_remind(user=None, survey=survey) == 0


def test_a_rep_types_a_phone_interview_for_their_customer(rep, survey, customer):
    response = services.response_submit(
        survey=survey, user=rep, customer=customer, answers=answers(survey), consent=True
    )
    assert response.mode == Response.Mode.PHONE
    assert response.entered_by == rep
    assert response.interaction is not None
    assert response.interaction.user == rep
    consent = ConsentRecord.objects.get(customer=customer, purpose=Purpose.SENSITIVE_DATA)
    assert f"by {rep.username}" in consent.reference


def test_another_rep_may_not_interview_a_customer_they_do_not_see(other_rep, survey, customer):
    from django.http import Http404

    from kehu.customers.selectors import customer_get_for_user

    with pytest.raises(Http404):
        customer_get_for_user(user=other_rep, customer_id=customer.pk)


def test_a_market_survey_is_anonymous(marketer):
    market = services.survey_save(user=marketer, data={"title_zh": "市场调查", "kind": "market"})
    services.question_save(
        user=marketer, survey=market, data={"kind": "scale5", "text_zh": "满意吗", "required": True}
    )
    services.survey_publish(user=marketer, survey=market)
    assert market.public_key
    response = services.response_submit(survey=market, answers={str(market.questions.get().pk): 4})
    assert response.customer is None
    assert response.mode == Response.Mode.ANONYMOUS
    with pytest.raises(Conflict):
        services.invitations_create(user=marketer, survey=market, customers=[])


def test_nps_and_csat_arithmetic_on_known_answers():
    # 4 promoters, 3 passives, 3 detractors of 10: NPS = 40 - 30 = 10
    assert selectors.nps([10, 9, 9, 10, 7, 8, 7, 0, 6, 5]) == 10.0
    assert selectors.nps([6, 6]) == -100.0
    assert selectors.nps([]) is None
    # 1–5 scale: 4s and 5s are satisfied: 3 of 4 = 75 %
    assert selectors.csat([5, 4, 4, 2]) == 75.0
    assert selectors.csat([9, 10, 8, 1], top=10) == 50.0


def test_results_and_crosstab(marketer, survey, customer, rep, leader, other_rep):
    from kehu.customers.tests.factories import make_person

    other = make_person(rep, "李娜", grade="important")
    a, b = services.invitations_create(user=marketer, survey=survey, customers=[customer, other])
    services.response_submit(survey=survey, token=_token(a), answers=answers(survey, nps=10))
    services.response_submit(
        survey=survey, token=_token(b), answers=answers(survey, children="2", nps=3, scale=2)
    )
    results = selectors.survey_results(user=leader, survey=survey)
    assert (results.invited, results.answered_invitations, results.response_rate) == (2, 2, 100.0)
    by_id = {r.question.position: r for r in results.questions}
    assert by_id[3].nps == 0.0
    assert by_id[3].nps_groups == {
        "promoters": 1,
        "passives": 0,
        "detractors": 1,
    }
    assert by_id[4].csat == 50.0
    assert by_id[4].mean == 3.5
    assert by_id[5].texts == ["很好", "很好"]
    assert dict(by_id[2].distribution)["Picture books"] == 1
    table = selectors.answers_crosstab(
        user=leader, survey=survey, question=q(survey, 3), dimension="grade"
    )
    assert table.rows == ["General", "Important"]
    assert table.cells[0][10] == 1
    assert table.cells[1][3] == 1
    # another rep sees no customer's answers
    assert selectors.survey_results(user=other_rep, survey=survey).responses == 0
    # 2 × 5 questions, less the 2 children answers (no consent), less b's skipped follow-up
    assert Answer.objects.count() == 7
    assert Question.objects.count() == 5
