"""Erasing a person (删除个人信息, PIPL Art. 47): every place their data lives, in one transaction.

The customer row itself stays as an anonymous shell (``#id``, archived) because orders,
payments and cases point at it and the accounts must still add up: order amounts and dates are
kept, every text about the person goes. The audit trail keeps its events, with the person's
values taken out of their details.

Where the data lives, table by table (each step names the app that owns it):

- customers: the customer and its person/organization profile, contacts (also the person's
  contact roles at organizations), phones, e-mails, tags, shares, custom fields, the whole
  change history (old values in clear and encrypted alike);
- search: the index terms; dedup: duplicate candidates, the details of merges;
- imports: row problems of the person's rows, and every stored import file that holds one of
  the person's identifiers (a pending import is failed with a message rather than re-creating
  the person later);
- exports: every export file already produced that holds one of the person's identifiers;
- interactions: texts and details, attachments (files too), reminders, notifications;
- tasks; intake: web-form submissions, call-center events, hand-over reasons; sales: order and
  payment notes, opportunities; service: cases, their events, e-mails, ratings and feedback;
  knowledge: questions and their messages; privacy: the copies made for the person and the
  notes of their requests; core: the details of audit events.

Customers merged into the person (the tombstones of a merge) are erased with it; asked to erase
a merged-away record, the erasure starts at its survivor.
"""

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.encryption import decrypt, decrypted_chunks, encrypt
from kehu.core.models import AuditEvent
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)

# What erased free texts become (the shape of the row stays: a case still has a subject).
ERASED = "[已删除 erased]"
# Shortest identifier searched for in files: shorter ones would match unrelated text.
MIN_FILE_VALUE = 4


@dataclass
class ErasureReport:
    customer_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, count: int) -> None:
        if count:
            self.counts[what] = self.counts.get(what, 0) + count


def erasure_family(customer: Customer) -> list[int]:
    """The ids of the person's records: the live one and every record merged into it."""
    root = customer
    seen: set[int] = set()
    while root.merged_into_id is not None and root.pk not in seen:
        seen.add(root.pk)
        root = Customer.objects.get(pk=root.merged_into_id)
    ids = [root.pk]
    frontier = [root.pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def personal_values(customer_ids: Iterable[int]) -> list[str]:
    """The person's identifying values (clear text), to find them in files and free texts:
    names, phone numbers, e-mails, ID number, credit code, addresses, contacts' names."""
    ids = list(customer_ids)
    values: set[str] = set()
    for customer in Customer.objects.filter(pk__in=ids).select_related("person", "organization"):
        values.add(customer.name)
        values.add(customer.address)
        person = getattr(customer, "person", None)
        if person is not None:
            values.update([person.id_number, person.home_address, person.spouse])
        organization = getattr(customer, "organization", None)
        if organization is not None:
            values.update([organization.credit_code, organization.legal_representative])
        # Custom values only when long enough to be the person's own (not "VIP", "是").
        for value in customer.custom_values.values():
            if isinstance(value, str) and len(value) >= MIN_FILE_VALUE:
                values.add(value)
    contacts = Contact.objects.filter(Q(customer_id__in=ids) | Q(person_id__in=ids))
    values.update(contacts.values_list("name", flat=True))
    contact_ids = list(contacts.values_list("pk", flat=True))
    for number in Phone.objects.filter(
        Q(customer_id__in=ids) | Q(contact_id__in=contact_ids)
    ).values_list("number", flat=True):
        values.add(number)
        values.add(number[3:] if number.startswith("+86") else number.lstrip("+"))
    values.update(
        Email.objects.filter(Q(customer_id__in=ids) | Q(contact_id__in=contact_ids)).values_list(
            "address", flat=True
        )
    )
    return sorted(v.strip() for v in values if v and len(v.strip()) >= 2)


def _file_values(values: list[str]) -> list[bytes]:
    return [v.encode() for v in values if len(v) >= MIN_FILE_VALUE]


def file_holds(path: Path, needles: list[bytes], *, encrypted: bool = False) -> bool:
    """Whether a stored file (encrypted at rest or not; a zip/XLSX read member by member)
    contains any of ``needles``."""
    try:
        data = b"".join(decrypted_chunks(path)) if encrypted else path.read_bytes()
    except (OSError, ValueError):
        return False
    return any(n in data for n in needles) or _zip_holds(data, needles)


def _zip_holds(data: bytes, needles: list[bytes]) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(any(n in archive.read(name) for n in needles) for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _scrub(value: Any, values: list[str]) -> Any:
    """``value`` (JSON) with every occurrence of the person's values replaced."""
    if isinstance(value, str):
        for needle in values:
            if needle in value:
                value = value.replace(needle, ERASED)
        return value
    if isinstance(value, list):
        return [_scrub(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, values) for key, item in value.items()}
    return value


def _json_forms(values: list[str]) -> list[str]:
    """Each value as it appears inside stored JSON text (non-ASCII escaped) and in clear."""
    forms = set(values)
    forms.update(json.dumps(v)[1:-1] for v in values)
    return sorted(forms)


@transaction.atomic
def customer_erase(*, customer: Customer, values: list[str] | None = None) -> ErasureReport:
    """Erase the person ``customer`` is (and every record merged into it) everywhere.

    Runs in one transaction (files are removed after it commits: a rollback loses nothing).
    Access checks and the audit event belong to the caller (``privacy.services``).
    """
    ids = erasure_family(customer)
    values = sorted(set(values or []) | set(personal_values(ids)))
    report = ErasureReport(customer_ids=ids)
    doomed_files: list[Path] = []
    data_dir = Path(settings.DATA_DIR)
    now = timezone.now()
    contacts = Contact.objects.filter(Q(customer_id__in=ids) | Q(person_id__in=ids))
    contact_ids = list(contacts.values_list("pk", flat=True))
    # Organizations where the person was a contact: their history and index name the person.
    employers = sorted(
        set(contacts.exclude(customer_id__in=ids).values_list("customer_id", flat=True))
    )

    # --- customers ---------------------------------------------------------------------------
    for shell in Customer.objects.select_for_update().filter(pk__in=ids):
        shell.name = f"#{shell.pk}"
        for name in ("address", "province", "city", "district", "region_code", "notes"):
            setattr(shell, name, "")
        shell.custom_values = {}
        shell.custom_sensitive = ""
        shell.status = Customer.Status.MERGED if shell.merged_into_id else Customer.Status.ARCHIVED
        shell.archived_at = shell.archived_at or now
        shell.save()
        shell.tags.clear()
        shell.shared_with.clear()
    for model in (PersonProfile, OrganizationProfile):
        for profile in model.objects.filter(customer_id__in=ids):
            for profile_field in model._meta.concrete_fields:
                if profile_field.primary_key:
                    continue
                setattr(profile, profile_field.attname, profile_field.get_default())
            profile.save()
    report.add(
        "phones",
        Phone.objects.filter(Q(customer_id__in=ids) | Q(contact_id__in=contact_ids)).delete()[0],
    )
    report.add(
        "emails",
        Email.objects.filter(Q(customer_id__in=ids) | Q(contact_id__in=contact_ids)).delete()[0],
    )
    report.add("contacts", contacts.delete()[0])
    report.add("history", CustomerChange.objects.filter(customer_id__in=ids).delete()[0])
    report.add("employers' history", _scrub_history(employers, values))

    # --- search, dedup -------------------------------------------------------------------------
    from kehu.dedup.models import DuplicateCandidate, Merge
    from kehu.search.services import search_index_update, search_terms_delete

    report.add("search terms", search_terms_delete(customer_ids=ids))
    if employers:
        search_index_update(customer_ids=employers)
    report.add(
        "duplicate candidates",
        DuplicateCandidate.objects.filter(
            Q(customer_a_id__in=ids) | Q(customer_b_id__in=ids)
        ).delete()[0],
    )
    report.add(
        "merges",
        Merge.objects.filter(Q(survivor_id__in=ids) | Q(others__in=ids))
        .distinct()
        .update(detail={}, secrets=""),
    )

    # --- imports -------------------------------------------------------------------------------
    from kehu.imports.models import ImportBatch, ImportRow

    report.add("import rows", ImportRow.objects.filter(customer_id__in=ids).update(problems=[]))
    needles = _file_values(values)
    finished = {ImportBatch.Status.DONE, ImportBatch.Status.UNDOING, ImportBatch.Status.UNDONE}
    for batch in ImportBatch.objects.select_for_update().exclude(file_path=""):
        path = data_dir / batch.file_path
        if not (needles and path.is_file() and file_holds(path, needles)):
            continue
        doomed_files.append(path)
        batch.file_path = ""
        if batch.status not in finished:
            batch.status = ImportBatch.Status.FAILED
            batch.error = _(
                "The file held data of a person whose data was erased; it was removed. "
                "Upload the file again without them."
            )[:300]
        batch.save()
        report.add("import files", 1)
    # Rows that point at nothing now would only say the person once was there.
    ImportRow.objects.filter(customer_id__in=ids, outcome=ImportRow.Outcome.INVALID).delete()

    # --- exports ------------------------------------------------------------------------------
    from kehu.exports.models import ExportJob

    for job in ExportJob.objects.select_for_update().exclude(file_path=""):
        path = data_dir / job.file_path
        if not (needles and path.is_file() and file_holds(path, needles, encrypted=True)):
            continue
        doomed_files.append(path)
        job.file_path = ""
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["file_path", "status", "updated_at"])
        report.add("export files", 1)

    # --- interactions, tasks --------------------------------------------------------------------
    from kehu.interactions.models import Attachment, Interaction, Notification, Reminder
    from kehu.tasks.models import Task

    interactions = Interaction.objects.filter(
        Q(customer_id__in=ids) | Q(contact_id__in=contact_ids)
    )
    for attachment in Attachment.objects.filter(interaction__in=interactions):
        if attachment.file:
            doomed_files.append(Path(attachment.file.path))
        attachment.delete()
        report.add("attachments", 1)
    report.add(
        "interactions",
        interactions.update(
            summary=ERASED, outcome="", next_follow_up_note="", external_id="", details={}
        ),
    )
    report.add("reminders", Reminder.objects.filter(customer_id__in=ids).delete()[0])
    mentions = Q()
    for customer_id in ids:
        mentions |= Q(url__contains=f"/customers/{customer_id}/")
    for value in values:
        mentions |= Q(text__contains=value)
    report.add("notifications", Notification.objects.filter(mentions).delete()[0])
    report.add("tasks", Task.objects.filter(customer_id__in=ids).delete()[0])

    # --- intake --------------------------------------------------------------------------------
    from kehu.intake.models import CallEvent, LeadHandover, WebFormSubmission

    report.add(
        "web-form submissions",
        WebFormSubmission.objects.filter(customer_id__in=ids).update(
            data={}, ip_address=None, user_agent=""
        ),
    )
    phones = [v for v in values if v.startswith("+")]
    report.add(
        "call events",
        CallEvent.objects.filter(Q(customer_id__in=ids) | Q(number__in=phones)).update(
            number="", payload={}
        ),
    )
    LeadHandover.objects.filter(customer_id__in=ids).update(reason="")

    # --- sales ---------------------------------------------------------------------------------
    from kehu.sales.models import Opportunity, Order, Payment, SalesCorrection

    report.add("orders", Order.objects.filter(customer_id__in=ids).update(notes=""))
    Payment.objects.filter(customer_id__in=ids).update(reference="")
    Opportunity.objects.filter(customer_id__in=ids).update(
        name=ERASED, competitors="", lost_reason=""
    )
    SalesCorrection.objects.filter(customer_id__in=ids).update(changes={}, reason="")

    # --- service -------------------------------------------------------------------------------
    from kehu.service.models import Case, CaseEmail, CaseEvent, CaseRating, Feedback

    cases = Case.objects.filter(Q(customer_id__in=ids) | Q(contact_id__in=contact_ids))
    case_ids = list(cases.values_list("pk", flat=True))
    report.add(
        "cases",
        cases.update(subject=ERASED, description=ERASED, resolution="", customer_summary=""),
    )
    CaseEvent.objects.filter(case_id__in=case_ids).update(note="")
    CaseEmail.objects.filter(case_id__in=case_ids).update(
        from_address="", to_address="", subject=ERASED, body=ERASED, message_id=""
    )
    CaseRating.objects.filter(case_id__in=case_ids).update(comment="")
    report.add(
        "feedback",
        Feedback.objects.filter(customer_id__in=ids).update(
            content=ERASED, preferences="", solution=""
        ),
    )

    # --- knowledge -----------------------------------------------------------------------------
    from kehu.knowledge.models import Question, QuestionMessage

    questions = Question.objects.filter(customer_id__in=ids)
    QuestionMessage.objects.filter(question__in=questions).update(text=ERASED)
    report.add("questions", questions.update(text=ERASED, answer=""))

    # --- privacy (this app) ----------------------------------------------------------------------
    from kehu.privacy.models import DataSubjectRequest

    for dsr in DataSubjectRequest.objects.filter(customer_id__in=ids).exclude(copy_path=""):
        doomed_files.append(data_dir / dsr.copy_path)
    DataSubjectRequest.objects.filter(customer_id__in=ids).update(
        verification_note="", details="", copy_path=""
    )
    for dsr in DataSubjectRequest.objects.filter(customer_id__in=ids).exclude(outcome=""):
        dsr.outcome = _scrub(dsr.outcome, values)
        dsr.save(update_fields=["outcome"])

    # --- the audit trail: events stay, the person's values go ----------------------------------
    forms = _json_forms(values)
    touched = Q(object_type="customer", object_id__in=[str(i) for i in ids])
    text = Cast("detail", output_field=TextField())
    mentioned = Q()
    for form in forms:
        mentioned |= Q(detail_text__contains=form)
    events = AuditEvent.objects.annotate(detail_text=text).filter(touched | mentioned)
    for event in events:
        scrubbed = _scrub(event.detail, values)
        if scrubbed != event.detail:
            # The one sanctioned write to an audit event: taking personal data out of it.
            AuditEvent.objects.filter(pk=event.pk).update(detail=scrubbed)
            report.add("audit events scrubbed", 1)

    def remove_files() -> None:
        for path in doomed_files:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove_files)
    return report


def _scrub_text(text: str, sensitive: bool, values: list[str]) -> str:
    if not text:
        return text
    if sensitive:
        return encrypt(_scrub(decrypt(text), values))
    return str(_scrub(text, values))


def _scrub_history(customer_ids: list[int], values: list[str]) -> int:
    """Take the person's values out of other customers' history (an organization's record of
    its contacts); returns the rows changed."""
    changed = 0
    for row in CustomerChange.objects.filter(customer_id__in=customer_ids):
        if row.field == CustomerChange.CREATED:
            entries = [
                (f, _scrub_text(text, hidden, values), hidden)
                for f, text, hidden in json.loads(row.new_value)
            ]
            new_value, old_value = CustomerChange.creation_value(entries), row.old_value
        else:
            old_value = _scrub_text(row.old_value, row.sensitive, values)
            new_value = _scrub_text(row.new_value, row.sensitive, values)
        if (old_value, new_value) != (row.old_value, row.new_value):
            CustomerChange.objects.filter(pk=row.pk).update(
                old_value=old_value, new_value=new_value
            )
            changed += 1
    return changed


FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_\-]+=*")


def decrypt_tokens(text: str) -> list[str]:
    """The clear texts of the Fernet tokens inside ``text`` (an encrypted column, or JSON
    holding encrypted values); tokens that do not decrypt are skipped."""
    clear = []
    for token in FERNET_TOKEN.findall(text):
        try:
            clear.append(decrypt(token))
        except Exception:  # noqa: S112 (not a token of ours: nothing to read)
            continue
    return clear
