"""Risk rules (admin settings)."""

from typing import Any

from django.shortcuts import get_object_or_404

from kehu.core.access import require_account_admin
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.schemas import RecordId
from kehu.oversight import services
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import RiskRuleIn, RiskRuleOut
from kehu.oversight.models import RiskRule
from kehu.oversight.rules import rules_all


def _rule(rule: RiskRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "code": rule.code,
        "label": str(rule.get_code_display()),
        "enabled": rule.enabled,
        "level": rule.level,
        "days": rule.days,
        "amount": rule.amount,
        "percent": rule.percent,
        "count": rule.count,
    }


@router.get(
    "/rules/",
    response={200: list[RiskRuleOut], **ERROR_RESPONSES},
    summary="The risk rules with their thresholds (admins)",
)
def rule_list(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    require_account_admin(request.user)
    return [_rule(r) for r in rules_all()]


@router.put(
    "/rules/{rule_id}",
    response={200: RiskRuleOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Change a risk rule: on/off, level, thresholds (admins; audited)",
)
def rule_update(
    request: AuthenticatedRequest, rule_id: RecordId, payload: RiskRuleIn
) -> dict[str, Any]:
    require_account_admin(request.user)
    rule = get_object_or_404(RiskRule, pk=rule_id)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return _rule(services.risk_rule_update(user=request.user, rule=rule, data=data))
