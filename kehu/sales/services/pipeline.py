"""The pipeline's stages (admin settings)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.sales.models import (
    Opportunity,
    OpportunityMove,
    PipelineStage,
)
from kehu.sales.services.common import PIPELINE_REFUSED

STAGE_FIELDS = ("name", "name_en", "outcome", "probability", "sort_order")


def _check_outcomes() -> None:
    """The pipeline in use needs exactly one won and one lost stage (checked after a change, in
    its transaction, so a refused change writes nothing)."""
    active = PipelineStage.objects.filter(is_active=True)
    for outcome, message in (
        (PipelineStage.Outcome.WON, _("The pipeline needs exactly one won stage.")),
        (PipelineStage.Outcome.LOST, _("The pipeline needs exactly one lost stage.")),
    ):
        if active.filter(outcome=outcome).count() != 1:
            raise ValidationError({"outcome": [message]})


@transaction.atomic
def pipeline_stage_save(
    *, user: User, data: dict[str, Any], stage: PipelineStage | None = None, code: str = ""
) -> PipelineStage:
    """Add a stage (``stage`` None, with ``code``) or change one's names, outcome, default
    probability and place. A stage's outcome cannot change while opportunities are in it (their
    won/lost history and the sales summary count by it)."""
    require_archive_admin(user, PIPELINE_REFUSED)
    unknown = set(data) - set(STAGE_FIELDS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    if stage is None:
        stage = PipelineStage(code=code)
    else:
        stage = PipelineStage.objects.select_for_update().get(pk=stage.pk)
        outcome = data.get("outcome", stage.outcome)
        if outcome != stage.outcome and Opportunity.objects.filter(stage=stage).exists():
            raise ValidationError(
                {"outcome": [_("Opportunities are in this stage: its outcome cannot change.")]}
            )
    for name, value in data.items():
        setattr(stage, name, value.strip() if isinstance(value, str) else value)
    stage.full_clean()
    stage.save()
    _check_outcomes()
    return stage


@transaction.atomic
def pipeline_stage_delete(
    *, user: User, stage: PipelineStage, move_to: PipelineStage | None = None
) -> bool:
    """Remove an open stage; its opportunities (if any) move to ``move_to``, another open stage
    in use, with the move in their history. Returns True when the stage row was deleted, False
    when it was retired instead (moves in opportunities' history still name it)."""
    require_archive_admin(user, PIPELINE_REFUSED)
    stage = PipelineStage.objects.select_for_update().get(pk=stage.pk)
    if stage.outcome != PipelineStage.Outcome.OPEN:
        raise ValidationError(
            {"stage": [_("The won and lost stages cannot be removed; rename them instead.")]}
        )
    opportunities = Opportunity.objects.select_for_update().filter(stage=stage)
    if opportunities.exists():
        if move_to is None:
            raise ValidationError(
                {"move_to": [_("Opportunities are in this stage: choose where they go.")]}
            )
        if (
            move_to.pk == stage.pk
            or not move_to.is_active
            or move_to.outcome != PipelineStage.Outcome.OPEN
        ):
            raise ValidationError({"move_to": [_("Choose another open stage in use.")]})
        now = timezone.now()
        ids = list(opportunities.values_list("pk", flat=True))
        OpportunityMove.objects.bulk_create(
            OpportunityMove(
                opportunity_id=pk, from_stage=stage, to_stage=move_to, moved_by=user, moved_at=now
            )
            for pk in ids
        )
        Opportunity.objects.filter(pk__in=ids).update(
            stage=move_to, probability=move_to.probability, stage_changed_at=now, updated_at=now
        )
    used = OpportunityMove.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
    if used:
        stage.is_active = False
        stage.save(update_fields=["is_active", "updated_at"])
    else:
        stage.delete()
    _check_outcomes()
    return not used
