import pytest

from kehu.accounts.models import Role
from kehu.customers.tests.factories import make_person
from kehu.surveys import services
from kehu.surveys.models import Question, Survey


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="mkt1")


@pytest.fixture
def customer(rep):
    """王芳, owned by rep1, with an e-mail address."""
    return make_person(rep, "王芳", emails=["wangfang@example.com"])


@pytest.fixture
def survey(marketer):
    """A published customer survey: children (single, mapped to person.children, sensitive),
    a skip-logic follow-up, NPS, a 1–5 satisfaction scale, a text question."""
    survey = services.survey_save(
        user=marketer,
        data={"title_zh": "家庭需求调查", "title_en": "Family needs", "kind": "customer"},
    )
    children = services.question_save(
        user=marketer,
        survey=survey,
        data={
            "kind": Question.Kind.SINGLE,
            "text_zh": "您有子女吗？",
            "text_en": "Do you have children?",
            "required": True,
            "choices": ["有 3–6 岁子女|Children aged 3–6", "没有|No children"],
            "archive_field": "person.children",
        },
    )
    services.question_save(
        user=marketer,
        survey=survey,
        data={
            "kind": Question.Kind.MULTIPLE,
            "text_zh": "您关注哪些早教产品？",
            "required": True,
            "choices": ["绘本|Picture books", "早教课程|Classes", "玩具|Toys"],
            "show_if": {"question": children.pk, "values": ["1"]},
            "archive_field": "person.preferred_products",
        },
    )
    services.question_save(
        user=marketer,
        survey=survey,
        data={"kind": Question.Kind.NPS, "text_zh": "您会推荐我们吗？", "required": True},
    )
    services.question_save(
        user=marketer,
        survey=survey,
        data={"kind": Question.Kind.SCALE5, "text_zh": "总体满意度", "required": False},
    )
    services.question_save(
        user=marketer,
        survey=survey,
        data={"kind": Question.Kind.TEXT, "text_zh": "其他建议", "text_en": "Anything else?"},
    )
    return services.survey_publish(user=marketer, survey=survey)


def q(survey: Survey, position: int) -> Question:
    return survey.questions.get(position=position)
