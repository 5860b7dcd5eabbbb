"""Every write of the membership programme: its settings, members and the points ledger.

The ledger (``PointsEntry``) is append-only; ``Member.points_balance`` is its sum, changed only
here, in the same transaction as the row, by a relative ``UPDATE`` — a redemption's ``UPDATE``
carries the condition ``points_balance >= points``, so two redemptions at once can never
overdraw (PostgreSQL re-checks the condition on the locked row; SQLite runs writes one at a
time under ``BEGIN IMMEDIATE``), and a check constraint refuses a negative balance anyway.

Sales calls three hooks here, explicitly and inside its own transaction (see docs/loyalty.md):
``order_payment_recorded``, ``order_payment_reversed`` and ``order_cancelled``. This module
reads ``kehu.sales.models`` but never imports ``kehu.sales.services``, so there is no cycle.
"""

from kehu.loyalty.services.common import (
    MANAGE_REFUSED,
    POINTS_METHOD,
    YEAR,
    programme_get,
    require_member_change,
)
from kehu.loyalty.services.ledger import (
    Earning,
    ledger_reconcile,
    order_cancelled,
    order_payment_recorded,
    order_payment_reversed,
    points_adjust,
    points_expire,
    points_for,
    points_redeem,
    redemption_payment_link,
)
from kehu.loyalty.services.members import (
    member_add,
    member_enrol,
    member_level_set,
)
from kehu.loyalty.services.qualification import (
    Standing,
    levels_review,
    meets_level,
    member_upgrade_check,
    qualified_level,
    standing,
)
from kehu.loyalty.services.service import (
    PRIORITY_STEPS,
    case_priority_for,
)
from kehu.loyalty.services.settings import (
    LEVEL_FIELDS,
    PROGRAMME_FIELDS,
    earn_rule_save,
    level_save,
    programme_update,
    reward_save,
)

__all__ = [
    "meets_level",
    "Earning",
    "LEVEL_FIELDS",
    "MANAGE_REFUSED",
    "POINTS_METHOD",
    "PRIORITY_STEPS",
    "PROGRAMME_FIELDS",
    "Standing",
    "YEAR",
    "case_priority_for",
    "earn_rule_save",
    "ledger_reconcile",
    "level_save",
    "levels_review",
    "member_add",
    "member_enrol",
    "member_level_set",
    "member_upgrade_check",
    "order_cancelled",
    "order_payment_recorded",
    "order_payment_reversed",
    "points_adjust",
    "points_expire",
    "points_for",
    "points_redeem",
    "programme_get",
    "programme_update",
    "qualified_level",
    "redemption_payment_link",
    "require_member_change",
    "reward_save",
    "standing",
]
