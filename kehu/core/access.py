"""The one place that answers what a user may see and do with customer records.

Every app asks here and nowhere else: ``record_scope_q`` narrows a queryset to the records a user
may view or change, ``can_export`` / ``can_reveal`` answer for exports and sensitive fields,
``is_read_only`` for roles that never write; ``record_scope_sql`` is the same scope for raw SQL.
A refusal is raised through ``require(user, predicate, message)`` or one of its named forms
(``require_account_admin``, ``require_archive_admin``…). The rules, by role:

=============== ================================ ============ ====== =========================
role            view                             change       export reveal sensitive fields
=============== ================================ ============ ====== =========================
sales rep       own and shared; a team manager   same as view no     home address
                also every record of the team
archive admin   all                              all          yes    all groups
service agent   all                              none         no     home address
marketer        all                              none         yes    none
leader          all                              none         no     none
admin           all                              all          yes    all groups
=============== ================================ ============ ====== =========================

Every role but the leader may log interactions (calls, visits…) with customers it can see, and
create leads (new customers, with the channel they came through): marketing finds leads and
service meets new callers. A lead created by a role that may not own customers (marketer,
service agent) goes to its owner by the lead-assignment rule. Marketers and service agents also
record facts (contact information, profile details; each with the channel it came through) on
the customers they see — not the archive's own fields (name, stage, grade, source, tags, notes),
which stay with those who change records, nor sensitive fields they may not reveal.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kehu.accounts.models import Membership, Role, User


class Scope(enum.Enum):
    ALL = "all"
    OWN = "own"  # owned, shared with the user, or (for team managers) the managed teams'
    NONE = "none"


class SensitiveGroup(enum.StrEnum):
    """Groups of protected customer fields; each is revealed (and audited) as a whole."""

    IDENTITY = "identity"  # national ID number
    ADDRESS = "address"  # a person's home address
    FINANCE = "finance"  # a person's income
    FAMILY = "family"  # marital status, spouse, children
    CUSTOM = "custom"  # custom fields an admin marked sensitive


@dataclass(frozen=True)
class Policy:
    view: Scope
    change: Scope
    export: bool
    reveal: frozenset[SensitiveGroup]
    log_contact: bool = True  # may log interactions with customers they can see
    create_leads: bool = True  # may create customers (leads)
    record_facts: bool = False  # may record facts on any customer they see, without changing it


ALL_GROUPS = frozenset(SensitiveGroup)
NO_GROUPS: frozenset[SensitiveGroup] = frozenset()

POLICIES: dict[str, Policy] = {
    Role.SALES_REP: Policy(Scope.OWN, Scope.OWN, False, frozenset({SensitiveGroup.ADDRESS})),
    Role.ARCHIVE_ADMIN: Policy(Scope.ALL, Scope.ALL, True, ALL_GROUPS),
    Role.SERVICE_AGENT: Policy(
        Scope.ALL, Scope.NONE, False, frozenset({SensitiveGroup.ADDRESS}), record_facts=True
    ),
    Role.MARKETER: Policy(Scope.ALL, Scope.NONE, True, NO_GROUPS, record_facts=True),
    Role.LEADER: Policy(
        Scope.ALL, Scope.NONE, False, NO_GROUPS, log_contact=False, create_leads=False
    ),
    Role.ADMIN: Policy(Scope.ALL, Scope.ALL, True, ALL_GROUPS),
}
NO_ACCESS = Policy(Scope.NONE, Scope.NONE, False, NO_GROUPS, log_contact=False, create_leads=False)


def policy_for(user: User) -> Policy:
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    if user.is_superuser:
        return POLICIES[Role.ADMIN]
    return POLICIES.get(user.role, NO_ACCESS)


def managed_team_ids(user: User) -> list[int]:
    """The teams ``user`` manages, read once and kept on the user object: one request asks
    for the record scope, "may change", the menu and its badges (5 reads of the same rows on
    the 360° page). A request loads its own user, so the list lives as long as the request;
    code that changes memberships and asks again with the same object calls
    ``forget_managed_team_ids`` first."""
    teams: list[int] | None = getattr(user, "_kehu_managed_team_ids", None)
    if teams is None:
        teams = list(
            Membership.objects.filter(user=user, is_manager=True).values_list("team_id", flat=True)
        )
        user._kehu_managed_team_ids = teams  # type: ignore[attr-defined]
    return list(teams)


def forget_managed_team_ids(user: User) -> None:
    """Drop what is kept on ``user`` from their memberships (after changing them): the list
    of ``managed_team_ids`` and the home page's role, which reads it."""
    user.__dict__.pop("_kehu_managed_team_ids", None)
    user.__dict__.pop("_kehu_home_role", None)


def record_scope_q(
    user: User,
    *,
    for_change: bool = False,
    owner_field: str = "owner",
    shared_field: str | None = "shared_with",
    team_field: str | None = "team",
) -> Q:
    """A filter for the records ``user`` may view (or change, with ``for_change``).

    Field names say where the record keeps its owner, the users it is shared with and its team,
    so any owned record (customer, interaction, order, case) can be scoped the same way.
    """
    policy = policy_for(user)
    scope = policy.change if for_change else policy.view
    if scope is Scope.ALL:
        return Q()
    if scope is Scope.NONE:
        return Q(pk__in=[])
    q = Q(**{owner_field: user})
    if shared_field:
        q |= Q(**{shared_field: user})
    teams = managed_team_ids(user)
    if teams:
        member_ids = Membership.objects.filter(team_id__in=teams).values("user_id")
        q |= Q(**{f"{owner_field}__in": member_ids})
        if team_field:
            q |= Q(**{f"{team_field}__in": teams})
    return q


def record_scope_sql(
    user: User,
    *,
    for_change: bool = False,
    owner_column: str = "owner_id",
    team_column: str | None = "team_id",
    id_column: str = "id",
    shared_table: str | None = None,
    shared_fk: str = "customer_id",
) -> tuple[str, list[Any]]:
    """``record_scope_q`` for raw SQL, such as the search index's scan: a condition on the
    named columns and its parameters; ``("", [])`` when the user sees every record.

    ``shared_table`` links record ids (``shared_fk``) to the users they are shared with.
    """
    policy = policy_for(user)
    scope = policy.change if for_change else policy.view
    if scope is Scope.ALL:
        return "", []
    if scope is Scope.NONE:
        return "1 = 0", []
    teams = managed_team_ids(user)
    owners = [user.pk]
    if teams:
        owners += list(
            Membership.objects.filter(team_id__in=teams).values_list("user_id", flat=True)
        )
    parts = [f"{owner_column} IN ({', '.join(['%s'] * len(owners))})"]
    params: list[Any] = list(owners)
    if teams and team_column:
        parts.append(f"{team_column} IN ({', '.join(['%s'] * len(teams))})")
        params += teams
    if shared_table:
        # A subquery, not a list: a team manager may have thousands of records shared.
        parts.append(
            f"{id_column} IN (SELECT {shared_fk} FROM {connection.ops.quote_name(shared_table)} "  # noqa: S608
            "WHERE user_id = %s)"
        )
        params.append(user.pk)
    return f"({' OR '.join(parts)})", params


def require(
    user: User, predicate: Callable[[User], bool], message: str | Promise | None = None
) -> None:
    """Raise ``PermissionDenied`` (with ``message``, shown by the API) unless ``predicate(user)``.

    The one way a rule refuses: ``require(user, can_export, _("…"))``. Records outside a
    user's scope are not refused but not found (404), through the selectors ``*_get_for_user``.
    """
    if not predicate(user):
        raise PermissionDenied(*([message] if message else []))


def can_see_customers(user: User) -> bool:
    """May ``user`` see customers at all (and what is computed from them)? Every internal role."""
    return policy_for(user).view is not Scope.NONE


def is_read_only(user: User) -> bool:
    return policy_for(user).change is Scope.NONE


def can_create_leads(user: User) -> bool:
    """May ``user`` create customers (leads)?"""
    return policy_for(user).create_leads


def can_record_facts(user: User) -> bool:
    """May ``user`` record facts on customers they see but may not change (marketer, agent)?"""
    return policy_for(user).record_facts


def can_own_customers(user: User) -> bool:
    """May ``user`` own customers (own the ones they create)? Roles that change records."""
    return policy_for(user).change is not Scope.NONE


def can_log_contact(user: User) -> bool:
    """May ``user`` log interactions (calls, visits…) with the customers they can see?"""
    return policy_for(user).log_contact


def can_export(user: User) -> bool:
    return policy_for(user).export


def can_reveal(user: User, group: SensitiveGroup) -> bool:
    """May ``user`` reveal this group of fields on a record they can already view?"""
    return group in policy_for(user).reveal


def can_manage_accounts(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or user.role == Role.ADMIN)
    )


def can_view_audit(user: User) -> bool:
    """Archive administrators and admins read the audit trail."""
    if can_manage_accounts(user):
        return True
    return bool(user.is_authenticated and user.is_active and user.role == Role.ARCHIVE_ADMIN)


def can_administer_archive(user: User) -> bool:
    """May ``user`` run the archive administrator's tools: import (and undo an import), find
    and merge duplicates (and undo a merge), read the data-quality page? Archive
    administrators and admins: the roles that may change every record."""
    return policy_for(user).change is Scope.ALL


def can_view_pool(user: User) -> bool:
    """May ``user`` browse the public pool (公海)? Every role that sees customers; pool
    customers show masked until someone claims them."""
    return policy_for(user).view is not Scope.NONE


def can_claim_from_pool(user: User) -> bool:
    """May ``user`` take customers from the public pool? Roles that may change records."""
    return policy_for(user).change is not Scope.NONE


# Roles that open and work service cases, for the customers they can see. Leaders and
# marketers read cases but do not work them.
CASE_WORKER_ROLES = frozenset({Role.SERVICE_AGENT, Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.ADMIN})


def can_work_cases(user: User) -> bool:
    """May ``user`` open, assign, move and rate service cases of customers they can see?"""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or user.role in CASE_WORKER_ROLES)


def can_record_feedback(user: User) -> bool:
    """May ``user`` record customer feedback (客户知识)? Everyone who may log contacts."""
    return policy_for(user).log_contact


# --- knowledge base (知识库) -------------------------------------------------------------------
# Everyone internal reads published articles (internal and public ones); case-working roles
# (service agents, sales reps) write drafts from their front-line know-how; archive
# administrators and admins manage the base: review, publish, archive, edit any article. A
# reviewer named on an article may review and publish that one.


def can_read_knowledge(user: User) -> bool:
    """May ``user`` read the internal knowledge base? Every internal role."""
    return policy_for(user).view is not Scope.NONE


def can_write_articles(user: User) -> bool:
    """May ``user`` draft articles (and edit their own drafts)?"""
    return can_work_cases(user)


def can_manage_knowledge(user: User) -> bool:
    """May ``user`` review, publish, archive and edit every article?"""
    return can_administer_archive(user)


def can_ask_questions(user: User) -> bool:
    """May ``user`` put a question to the experts? Everyone who may log contacts."""
    return policy_for(user).log_contact


# --- the named refusals -----------------------------------------------------------------------


def require_account_admin(user: User, message: str | Promise | None = None) -> None:
    """Admins only: accounts, channels and custom fields, service and intake settings."""
    require(user, can_manage_accounts, message or _("Only administrators may change this."))


def require_archive_admin(user: User, message: str | Promise | None = None) -> None:
    """Archive administrators and admins only: imports, duplicates, data quality, analytics,
    the product catalogue and the pipeline."""
    require(user, can_administer_archive, message)


def require_case_worker(user: User, message: str | Promise | None = None) -> None:
    """Roles that work service cases only."""
    require(user, can_work_cases, message or _("Your role may not work service cases."))


# --- sales ------------------------------------------------------------------------------------
# Sales records follow their customer: a user sees the orders, payments and opportunities of
# the customers they may see, and takes orders, records payments and moves opportunities for the
# customers they may change. The catalogue and the pipeline are kept by those who may change
# every record.


def sees_all_customers(user: User) -> bool:
    return policy_for(user).view is Scope.ALL


def can_manage_catalogue(user: User) -> bool:
    """Archive administrators and admins keep the product catalogue and the pipeline."""
    return can_administer_archive(user)


def can_sell(user: User) -> bool:
    """Roles that may take orders and work opportunities (for customers they may change)."""
    return can_own_customers(user)


# --- privacy rights (个人信息权利) -------------------------------------------------------------


def can_handle_privacy_requests(user: User) -> bool:
    """May ``user`` keep the register of data-subject requests, make copies, correct and erase
    on a person's request, keep the consent register and the retention rules? Archive
    administrators and admins."""
    return can_administer_archive(user)


def can_read_consents(user: User) -> bool:
    """May ``user`` read a customer's consents (to know whom they may contact)? Every role
    that sees customers."""
    return can_see_customers(user)


# --- handover (交接) ----------------------------------------------------------------------------


def can_hand_over_work(user: User) -> bool:
    """May ``user`` hand someone's work to colleagues? Admins (anyone's), team managers (their
    teams' members')."""
    if can_manage_accounts(user):
        return True
    return bool(user.is_authenticated and user.is_active and managed_team_ids(user))


# --- loyalty (会员与关怀) ----------------------------------------------------------------------


def can_manage_loyalty(user: User) -> bool:
    """May ``user`` set up the membership programme and the care plans, and adjust a member's
    points by hand? Marketers (who run the programme), archive administrators and admins."""
    return policy_for(user).view is Scope.ALL and (
        user.is_superuser or user.role in (Role.MARKETER, Role.ARCHIVE_ADMIN, Role.ADMIN)
    )


# --- marketing campaigns (营销活动) -------------------------------------------------------------
# Marketers and admins plan, launch and evaluate campaigns; leaders read them (results, channel
# comparison); a rep or agent sees only the campaign members assigned to them for calling.

CAMPAIGN_MANAGER_ROLES = frozenset({Role.MARKETER, Role.ADMIN})
CAMPAIGN_READER_ROLES = CAMPAIGN_MANAGER_ROLES | {Role.LEADER}


def can_manage_campaigns(user: User) -> bool:
    """May ``user`` create, change, launch and send campaigns? Marketers and admins."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or user.role in CAMPAIGN_MANAGER_ROLES)


def can_view_campaigns(user: User) -> bool:
    """May ``user`` read every campaign and its results? Marketers, leaders and admins."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or user.role in CAMPAIGN_READER_ROLES)


# --- surveys (问卷调查) ------------------------------------------------------------------------
# Marketers, archive administrators and admins build and send surveys and read their results;
# leaders read results. Anyone who may log contacts interviews the customers they see by phone.


def can_run_surveys(user: User) -> bool:
    """May ``user`` build, publish and send surveys?"""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or user.role in {Role.MARKETER, Role.ARCHIVE_ADMIN, Role.ADMIN})


def can_read_survey_results(user: User) -> bool:
    """May ``user`` read surveys' results (rates, distributions, NPS)? Those who run them and
    leaders."""
    return can_run_surveys(user) or bool(
        user.is_authenticated and user.is_active and user.role == Role.LEADER
    )


def can_model_propensity(user: User) -> bool:
    """May ``user`` define and train propensity models? Those who run surveys and campaigns:
    marketers, archive administrators and admins. Only admins enable sensitive fields."""
    return can_run_surveys(user)
