"""A survey's responses as rows of a spreadsheet, for ``kehu.exports``: one row per response
the exporting user may see (``responses_for_user``), one column per question.

An answer to a question mapped to a sensitive archive field is shown in clear only to a user who
may reveal that field's group, and then the export audits it (``revealed``); to everyone else it
is "****" whole: a choice's label cut short (``mask_text``) would still tell the answers apart.
"""

from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import SensitiveGroup, can_reveal
from kehu.customers.models import Customer
from kehu.customers.selectors import field_specs_for
from kehu.surveys.models import Answer, Question, Response, Survey
from kehu.surveys.selectors import questions_of, responses_for_user

MASK = "****"
CHUNK = 500


class ResponseSheet:
    """The rows of ``survey``'s responses as ``user`` may see them."""

    def __init__(self, *, user: User, survey: Survey) -> None:
        self.user = user
        self.survey = survey
        self.questions = questions_of(survey)
        specs = field_specs_for(Customer.Kind.PERSON)
        self.sensitive: dict[int, SensitiveGroup] = {}
        for question in self.questions:
            spec = specs.get(question.archive_field) if question.archive_field else None
            if spec is not None and spec.sensitive is not None:
                self.sensitive[question.pk] = spec.sensitive
        self.revealed = frozenset(
            group for group in set(self.sensitive.values()) if can_reveal(user, group)
        )

    def header(self) -> list[str]:
        fixed = [
            _("Response"),
            _("Submitted at"),
            _("How"),
            _("Customer ID"),
            _("Customer"),
            _("Entered by"),
        ]
        return fixed + [f"{i}. {q.text}" for i, q in enumerate(self.questions, start=1)]

    def revealed_questions(self) -> list[Question]:
        """The sensitive questions this export shows in clear (each is audited)."""
        return [q for q in self.questions if self.sensitive.get(q.pk) in self.revealed]

    def rows(self) -> Iterator[list[Any]]:
        responses = responses_for_user(user=self.user, survey=self.survey).order_by("id")
        ids = list(responses.values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            answers: dict[int, dict[int, Any]] = {}
            for response_id, question_id, value in Answer.objects.filter(
                response_id__in=chunk
            ).values_list("response_id", "question_id", "value"):
                answers.setdefault(response_id, {})[question_id] = value
            for response in responses.filter(pk__in=chunk):
                yield self.row(response, answers.get(response.pk, {}))

    def row(self, response: Response, answers: dict[int, Any]) -> list[Any]:
        customer = response.customer
        cells: list[Any] = [
            response.pk,
            timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M"),
            response.get_mode_display(),
            customer.pk if customer else "",
            customer.name if customer else "",
            str(response.entered_by) if response.entered_by else "",
        ]
        for question in self.questions:
            cells.append(self.cell(question, answers.get(question.pk)))
        return cells

    def cell(self, question: Question, value: Any) -> Any:
        if value is None or value == "" or value == []:
            return ""
        group = self.sensitive.get(question.pk)
        if group is not None and group not in self.revealed:
            return MASK
        if isinstance(value, list):
            return "; ".join(question.choice_label(str(v)) for v in value)
        if question.choices:
            return question.choice_label(str(value))
        return value
