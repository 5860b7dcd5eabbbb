"""Every write to surveys: building, publishing, versions, invitations, reminders and answers.

An answer to a question mapped to an archive field updates the customer through
``customer_update`` with the channel "survey" (so the archive's history names it); a sensitive
field only when the respondent gave explicit consent, which goes into the consent register.
Every response of a known customer is an interaction of type "survey" on their timeline.
"""

from kehu.surveys.services.answers import (
    answers_clean,
    response_submit,
    shown,
)
from kehu.surveys.services.building import (
    question_delete,
    question_save,
    survey_close,
    survey_new_version,
    survey_publish,
    survey_save,
)
from kehu.surveys.services.common import (
    CHOICE_KINDS,
    FILLS,
    RANGES,
    RUN_REFUSED,
    SURVEY_CHANNEL,
    logger,
    survey_channel,
)
from kehu.surveys.services.invitations import (
    invitation_for_token,
    invitation_url,
    invitations_create,
    invitations_send,
    survey_remind,
)
from kehu.surveys.services.triggers import satisfaction_invite, satisfaction_trigger_save

__all__ = [
    "CHOICE_KINDS",
    "FILLS",
    "RANGES",
    "RUN_REFUSED",
    "SURVEY_CHANNEL",
    "answers_clean",
    "invitation_for_token",
    "invitation_url",
    "invitations_create",
    "invitations_send",
    "logger",
    "question_delete",
    "question_save",
    "response_submit",
    "satisfaction_invite",
    "satisfaction_trigger_save",
    "shown",
    "survey_channel",
    "survey_close",
    "survey_new_version",
    "survey_publish",
    "survey_remind",
    "survey_save",
]
