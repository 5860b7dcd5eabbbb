"""Demo surveys for ``kehu demo``: a finished satisfaction survey answered through personal
links, an anonymous market survey with answers, and a propensity model for the maternal and
infant category (the demo catalogue's nearest to early education). Written through the
services, so timelines, invitations and scores are real."""

import random
from collections.abc import Callable

from django.core.exceptions import ValidationError

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.insight import services as insight_services
from kehu.surveys import services
from kehu.surveys.links import invitation_token
from kehu.surveys.models import Question, Survey

PRAISE = ["送货很快", "客服态度好", "价格再优惠些就好了", "包装可以更环保", "希望多些会员活动"]


def _satisfaction(marketer: User, rng: random.Random) -> Survey:
    survey = services.survey_save(
        user=marketer,
        data={
            "title_zh": "2026 年度客户满意度调查",
            "title_en": "Customer satisfaction 2026",
            "intro_zh": "感谢您一年来的支持！三道题，约一分钟。",
            "intro_en": "Thank you for a year with us! Three questions, about a minute.",
            "kind": Survey.Kind.SATISFACTION,
        },
    )
    for data in (
        {
            "kind": Question.Kind.NPS,
            "text_zh": "您有多大可能向朋友推荐我们？",
            "text_en": "How likely are you to recommend us to a friend?",
            "required": True,
        },
        {
            "kind": Question.Kind.SCALE5,
            "text_zh": "您对我们的服务总体满意吗？",
            "text_en": "Overall, how satisfied are you with our service?",
            "required": True,
        },
        {"kind": Question.Kind.TEXT, "text_zh": "还有什么建议？", "text_en": "Anything else?"},
    ):
        services.question_save(user=marketer, survey=survey, data=data)
    services.survey_publish(user=marketer, survey=survey)
    customers = list(Customer.objects.live().filter(kind=Customer.Kind.PERSON).order_by("id")[:60])
    invitations = services.invitations_create(user=marketer, survey=survey, customers=customers)
    questions = list(survey.questions.order_by("position"))
    for invitation in invitations:
        if rng.random() > 0.7:  # about 70 % answer
            continue
        nps = rng.choices(range(11), weights=[1, 1, 1, 1, 2, 3, 4, 8, 12, 14, 12])[0]
        answers = {
            str(questions[0].pk): nps,
            str(questions[1].pk): max(1, min(5, round(nps / 2))),
            str(questions[2].pk): rng.choice(PRAISE) if rng.random() < 0.4 else "",
        }
        services.response_submit(
            survey=survey,
            token=invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce),
            answers=answers,
        )
    return services.survey_close(user=marketer, survey=survey)


def _market(marketer: User, rng: random.Random) -> Survey:
    survey = services.survey_save(
        user=marketer,
        data={
            "title_zh": "婴幼儿早教需求市场调查",
            "title_en": "Early-education needs: market survey",
            "kind": Survey.Kind.MARKET,
        },
    )
    children = services.question_save(
        user=marketer,
        survey=survey,
        data={
            "kind": Question.Kind.SINGLE,
            "text_zh": "您家中是否有 0–6 岁的孩子？",
            "text_en": "Is there a child aged 0–6 at home?",
            "required": True,
            "choices": ["有|Yes", "没有|No"],
        },
    )
    interest = services.question_save(
        user=marketer,
        survey=survey,
        data={
            "kind": Question.Kind.MULTIPLE,
            "text_zh": "您关注哪些早教产品？",
            "text_en": "Which early-education products interest you?",
            "required": True,
            "choices": [
                "绘本|Picture books",
                "早教课程|Classes",
                "益智玩具|Educational toys",
                "亲子活动|Parent-child events",
            ],
            "show_if": {"question": children.pk, "values": ["1"]},
        },
    )
    budget = services.question_save(
        user=marketer,
        survey=survey,
        data={
            "kind": Question.Kind.NUMBER,
            "text_zh": "每月愿意花在早教上的预算（元）",
            "text_en": "Monthly budget for early education (CNY)",
            "show_if": {"question": children.pk, "values": ["1"]},
        },
    )
    services.survey_publish(user=marketer, survey=survey)
    for _n in range(40):
        has = rng.random() < 0.6
        answers: dict[str, object] = {str(children.pk): "1" if has else "2"}
        if has:
            answers[str(interest.pk)] = rng.sample(["1", "2", "3", "4"], rng.randint(1, 3))
            answers[str(budget.pk)] = rng.choice([200, 300, 500, 800, 1000, 1500])
        services.response_submit(survey=survey, answers=answers)
    return survey


def demo_surveys_report(*, marketer: str | None, seed: int, write: Callable[[str], object]) -> None:
    user = User.objects.filter(username=marketer).first()
    if user is None or Survey.objects.exists():
        return
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    satisfaction = _satisfaction(user, rng)
    market = _market(user, rng)
    write(
        f"Demo surveys: {satisfaction.responses.count()} satisfaction answers, "
        f"{market.responses.count()} market-survey answers."
    )
    model = insight_services.propensity_model_save(
        user=user, data={"name": "母婴产品购买倾向", "category": "母婴", "horizon_days": 90}
    )
    try:
        insight_services.propensity_train(model=model)
    except ValidationError:
        write("Demo propensity model: too few buyers of 母婴 to train; train it later.")
        return
    auc = (model.evaluation.get("holdout") or {}).get("auc")
    write(f"Demo propensity model: 母婴 in 90 days, holdout AUC {auc}.")
