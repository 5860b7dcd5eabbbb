"""What the survey writes share."""

import logging

from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_run_surveys, require
from kehu.core.exceptions import Conflict
from kehu.customers.fields import Type
from kehu.customers.models import Channel
from kehu.surveys.models import Question, Survey

logger = logging.getLogger(__name__)

SURVEY_CHANNEL = "survey"
RUN_REFUSED = _("Only marketers, archive administrators and admins run surveys.")
CHOICE_KINDS = {Question.Kind.SINGLE, Question.Kind.MULTIPLE}
RANGES: dict[str, tuple[int, int]] = {
    Question.Kind.SCALE5: (1, 5),
    Question.Kind.SCALE10: (1, 10),
    Question.Kind.NPS: (0, 10),
}
# Archive field types a question kind may fill.
FILLS: dict[str, set[str]] = {
    Question.Kind.SINGLE: {Type.TEXT, Type.CHOICE, Type.LONG_TEXT},
    Question.Kind.MULTIPLE: {Type.TEXT, Type.LONG_TEXT, Type.MULTI_CHOICE},
    Question.Kind.TEXT: {Type.TEXT, Type.LONG_TEXT},
    Question.Kind.NUMBER: {Type.INTEGER, Type.DECIMAL, Type.TEXT},
    Question.Kind.DATE: {Type.DATE},
}


def _require_runner(user: User) -> None:
    require(user, can_run_surveys, RUN_REFUSED)


def _require_draft(survey: Survey) -> None:
    if survey.status != Survey.Status.DRAFT:
        raise Conflict(_("A published survey is frozen: make a new version to change it."))


def survey_channel() -> Channel | None:
    return Channel.objects.filter(code=SURVEY_CHANNEL).first()
