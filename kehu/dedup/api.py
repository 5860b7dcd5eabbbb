"""``/api/v1/duplicates`` (the review queue, finder runs) and ``/api/v1/merges``.

For archive administrators only (everyone else: 403). Sensitive values in comparisons come
masked; reveal them on the customer (``POST /customers/{id}/reveal``), which is audited.
"""

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import KeysetPagination
from kehu.dedup import selectors, services
from kehu.dedup.finder import DEFAULT_THRESHOLD
from kehu.dedup.models import DuplicateCandidate, DuplicateRun, Merge

duplicates_router = Router(tags=["duplicates"])
merges_router = Router(tags=["duplicates"])


class CustomerStatusRef(Schema):
    id: int
    name: str
    status: str


class CandidateOut(Schema):
    id: int
    kind: str
    match_probability: float
    match_weight: float
    agreed: list[str] = Field(description="Fields that spoke for a match.")
    status: DuplicateCandidate.Status
    found_at: datetime
    customer_a: CustomerStatusRef
    customer_b: CustomerStatusRef


class ValueOut(Schema):
    customer: int
    value: str = Field(description="Masked when the field is sensitive.")
    source_channel: str | None
    recorded_at: datetime | None


class FieldCompareOut(Schema):
    code: str
    label: str
    sensitive: bool
    differs: bool
    default: int = Field(description="The customer whose value a merge keeps by default.")
    values: list[ValueOut]


class CandidateDetailOut(CandidateOut):
    fields: list[FieldCompareOut]
    related: dict[str, dict[str, int]] = Field(
        description="Per customer id, how many related records of each kind it has."
    )


class RunIn(Schema):
    threshold: float = Field(
        DEFAULT_THRESHOLD,
        description="Keep pairs at or above this match weight (log2 odds, -40 to 40).",
    )


class RunOut(Schema):
    id: int
    status: DuplicateRun.Status
    threshold: float
    stage: str
    progress: int
    customers: int
    pairs_compared: int
    candidates: int
    new_candidates: int
    timings: dict[str, float]
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class MergeIn(Schema):
    survivor: int = Field(description="The customer that remains.")
    others: list[int] = Field(description="Customers merged into it (they become tombstones).")
    fields: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "Field code → id of the customer whose value survives; unlisted fields keep the "
            "most recently recorded value. Phones, e-mails and tags are united."
        ),
    )


class MergeOut(Schema):
    id: int
    status: Merge.Status
    survivor: CustomerStatusRef
    others: list[CustomerStatusRef]
    merged_by: str | None
    created_at: datetime
    undone_at: datetime | None
    fields: dict[str, int] = Field(description="Fields that took another customer's value.")
    moved: dict[str, int] = Field(description="Records moved to the survivor, by model.")

    @staticmethod
    def resolve_others(obj: Merge) -> list[Any]:
        return list(obj.others.all())

    @staticmethod
    def resolve_merged_by(obj: Merge) -> str | None:
        return obj.merged_by.username if obj.merged_by else None

    @staticmethod
    def resolve_fields(obj: Merge) -> dict[str, int]:
        return dict(obj.detail.get("fields", {}))

    @staticmethod
    def resolve_moved(obj: Merge) -> dict[str, int]:
        moved: dict[str, int] = {}
        for entry in obj.detail.get("moved", []):
            moved[entry["model"]] = moved.get(entry["model"], 0) + len(entry["ids"])
        return moved


ONE = {200: CandidateDetailOut, 404: ErrorBody, **ERROR_RESPONSES}


# --- the review queue ----------------------------------------------------------------------------


@duplicates_router.get(
    "/",
    response={200: list[CandidateOut], **ERROR_RESPONSES},
    summary="Candidate duplicate pairs, most likely first",
)
@paginate(KeysetPagination)
def candidate_list(
    request: AuthenticatedRequest,
    status: str = "pending",
    kind: str = "",
    customer: int | None = Query(  # type: ignore[type-arg]
        None, ge=1, le=2**63 - 1, description="Only the pairs this customer is in."
    ),
) -> Any:
    return selectors.candidates_for(
        user=request.user, status=status, kind=kind, customer_id=customer
    )


@duplicates_router.post(
    "/runs",
    response={202: RunOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Search the whole archive for duplicates (in the background)",
    description="Answers the queued run (or the one already running); poll it for progress.",
)
def run_request(request: AuthenticatedRequest, payload: RunIn) -> Status[DuplicateRun]:
    run = services.duplicate_run_request(user=request.user, threshold=payload.threshold)
    return Status(202, run)


@duplicates_router.get(
    "/runs/{run_id}", response={200: RunOut, 404: ErrorBody, **ERROR_RESPONSES}, summary="A run"
)
def run_detail(request: AuthenticatedRequest, run_id: int) -> DuplicateRun:
    return selectors.run_get(user=request.user, run_id=run_id)


def _candidate_detail(request: AuthenticatedRequest, candidate: DuplicateCandidate) -> Any:
    comparison = selectors.comparison_for(
        user=request.user, customer_ids=[candidate.customer_a_id, candidate.customer_b_id]
    )
    fields = [
        {
            "code": choice.code,
            "label": str(choice.spec.label),
            "sensitive": choice.spec.sensitive is not None,
            "differs": choice.differs,
            "default": choice.default,
            "values": [
                {
                    "customer": cid,
                    # Codes for programs; the page shows the same values in words.
                    "value": choice.shown[cid] if choice.spec.sensitive else choice.texts[cid],
                    "source_channel": (source.channel.code if source and source.channel else None),
                    "recorded_at": source.changed_at if source else None,
                }
                for cid, source in choice.sources.items()
            ],
        }
        for choice in comparison.fields
    ]
    related = {str(cid): counts for cid, counts in comparison.counts.items()}
    return {**CandidateOut.from_orm(candidate).dict(), "fields": fields, "related": related}


@duplicates_router.get(
    "/{candidate_id}", response=ONE, summary="One pair, side by side (sensitive values masked)"
)
def candidate_detail(request: AuthenticatedRequest, candidate_id: int) -> Any:
    candidate = selectors.candidate_get(user=request.user, candidate_id=candidate_id)
    return _candidate_detail(request, candidate)


@duplicates_router.post(
    "/{candidate_id}/dismiss",
    response={200: CandidateOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Not a duplicate (stays dismissed when the finder runs again)",
)
def candidate_dismiss(request: AuthenticatedRequest, candidate_id: int) -> DuplicateCandidate:
    return services.candidate_dismiss(user=request.user, candidate_id=candidate_id)


# --- merges ---------------------------------------------------------------------------------------


@merges_router.get("/", response={200: list[MergeOut], **ERROR_RESPONSES}, summary="Merges")
@paginate(KeysetPagination)
def merge_list(request: AuthenticatedRequest) -> Any:
    return selectors.merges_for(user=request.user).order_by("-id")


@merges_router.post(
    "/",
    response={201: MergeOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Merge customers into one",
)
def merge_create(request: AuthenticatedRequest, payload: MergeIn) -> Status[Merge]:
    merge = services.customers_merge(
        user=request.user,
        survivor_id=payload.survivor,
        other_ids=payload.others,
        fields=payload.fields,
        ip_address=client_ip(request),
    )
    return Status(201, selectors.merge_get(user=request.user, merge_id=merge.pk))


@merges_router.get(
    "/{merge_id}", response={200: MergeOut, 404: ErrorBody, **ERROR_RESPONSES}, summary="A merge"
)
def merge_detail(request: AuthenticatedRequest, merge_id: int) -> Merge:
    return selectors.merge_get(user=request.user, merge_id=merge_id)


@merges_router.post(
    "/{merge_id}/undo",
    response={200: MergeOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Undo a merge",
)
def merge_undo(request: AuthenticatedRequest, merge_id: int) -> Merge:
    services.merge_undo(user=request.user, merge_id=merge_id, ip_address=client_ip(request))
    return selectors.merge_get(user=request.user, merge_id=merge_id)
