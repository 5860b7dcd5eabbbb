"""The reader never loses, merges or shifts a row (issue 14): strict CSV parsing with the line
of each problem, cells counted against the header, control characters refused, the encoding
established over the whole file, and an import only after a dry run of the same file; a failed
import can be undone."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.customers.models import Customer
from kehu.demo.import_files import HEADER, sample_rows
from kehu.imports import engine, readers, services
from kehu.imports.models import ImportBatch, ImportRow

pytestmark = pytest.mark.django_db


def csv_text(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def clean_rows(count, seed=3):
    """Rows without invalid or repeated ones, so every row should become a customer."""
    return [list(r) for r in sample_rows(count, seed=seed, invalid_every=0, repeat_every=0)]


def upload(user, content, name="list.csv"):
    return services.import_upload(user=user, upload=io.BytesIO(content), name=name)


def checked(user, content, name="list.csv"):
    return services.import_dry_run(batch_id=upload(user, content, name).pk)


def imported(user, content):
    batch = checked(user, content)
    assert batch.status == ImportBatch.Status.VALIDATED, batch.error
    return services.import_run(batch_id=batch.pk)


def invalid(batch):
    return {
        row.row_number: [p["message"] for p in row.problems]
        for row in ImportRow.objects.filter(batch=batch, outcome=ImportRow.Outcome.INVALID)
    }


@pytest.mark.parametrize("position", [10, 95])
def test_a_stray_quote_makes_its_row_invalid_and_loses_no_other_row(archivist, position):
    # given a 100-row file where one address starts with a stray quote (no closing one)
    rows = clean_rows(100)
    lines = csv_text(rows).splitlines(keepends=True)
    cells = lines[position].rstrip("\n").split(",")
    cells[5] = '"' + cells[5]
    lines[position] = ",".join(cells) + "\n"
    content = "".join(lines).encode()

    # when it is checked and imported
    batch = imported(archivist, content)

    # then the row with the quote is invalid, naming its line; every other row is a customer
    assert batch.total_rows == 100
    assert (batch.created_count, batch.invalid_rows) == (99, 1)
    messages = invalid(batch)
    assert list(messages) == [position + 1]
    assert f"line {position + 1} " in messages[position + 1][0].lower()
    assert Customer.objects.count() == 99
    id_numbers = {r[2] for r in rows}
    for notes in Customer.objects.values_list("notes", flat=True):
        assert not any(number in notes for number in id_numbers)


def test_a_stray_quote_closed_rows_later_does_not_merge_rows(archivist):
    # given a stray quote opening the notes of line 6 and a quote closing a line 5 lines on:
    # without a check, lines 6-11 would be one row with five rows inside its notes
    lines = csv_text(clean_rows(20)).splitlines()
    assert '"' not in "".join(lines)
    lines[5] = lines[5].rsplit(",", 1)[0] + ',"stray'
    lines[10] = lines[10] + 'x"'

    batch = imported(archivist, ("\n".join(lines) + "\n").encode())

    assert batch.total_rows == 20
    assert (batch.created_count, batch.invalid_rows) == (19, 1)
    assert "line 6 " in invalid(batch)[6][0].lower()
    assert not Customer.objects.filter(notes__contains="\n").exists()


def test_a_row_with_an_extra_or_a_missing_cell_is_invalid_not_shifted(archivist):
    rows = clean_rows(5)
    text = csv_text(rows).splitlines()
    cells = text[2].split(",")
    cells[5] = cells[5][:4] + "," + cells[5][4:]  # an unquoted comma in the address
    text[2] = ",".join(cells)
    text[4] = text[4].rsplit(",", 1)[0]  # the last cell missing
    batch = imported(archivist, ("\n".join(text) + "\n").encode())
    messages = invalid(batch)
    assert set(messages) == {3, 5}
    assert "9 cells" in messages[3][0]
    assert "8 columns" in messages[3][0]
    assert "7 cells" in messages[5][0]
    assert batch.created_count == 3
    assert not Customer.objects.filter(name=rows[1][0]).exists()


def test_newline_and_nul_are_refused_in_names_but_newlines_kept_in_notes(archivist):
    rows = clean_rows(4)
    rows[0][0] = "张\n伟"
    rows[1][0] = "李\x00娜"
    rows[2][7] = "first line\nsecond line"
    rows[3][7] = "bell\x07"
    batch = imported(archivist, csv_text(rows).encode())
    messages = invalid(batch)
    assert set(messages) == {2, 3, 5}
    assert "line break" in messages[2][0]
    assert "control character" in messages[3][0]
    assert "control character" in messages[5][0]
    assert Customer.objects.get().notes == "first line\nsecond line"
    # the file has 6 lines after the header for 4 rows: the difference is reported
    assert batch.total_rows == 4
    assert "6 lines" in batch.reading_note
    assert "4 rows" in batch.reading_note


def test_a_gbk_file_whose_first_64_kb_are_ascii_is_read_as_gbk(archivist):
    rows = clean_rows(3000)
    for n, row in enumerate(rows[:2500]):
        row[0] = f"Li Wei {n}"
        row[3] = ""
        row[5] = "No. 1 Road"
        row[6] = ""
    content = csv_text(rows, ["name", "mobile", "id number", "gender", "email", "address",
                              "employer", "notes"]).encode("gbk")  # fmt: skip
    assert content[: 64 * 1024].isascii()
    batch = imported(archivist, content)
    assert batch.invalid_rows == 0
    assert batch.created_count == 3000
    assert Customer.objects.filter(name=rows[2999][0]).exists()


def test_a_file_that_cannot_be_decoded_is_refused_with_line_and_byte(archivist):
    good = csv_text(clean_rows(3)).encode()
    last = "王芳,13812345678\n".encode()
    content = good + last + b"\xff\xfe broken\n"
    with pytest.raises(ValidationError) as error:
        upload(archivist, content)
    message = " ".join(error.value.messages)
    assert "line 6" in message
    assert f"byte {len(good) + len(last) + 1}" in message  # counted from 1
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        upload(archivist, content)
    assert "第 6 行" in " ".join(error.value.messages)


def test_an_import_needs_a_dry_run_of_the_same_file_and_mapping(archivist):
    batch = upload(archivist, csv_text(clean_rows(3)).encode())
    with pytest.raises(ValidationError, match="dry run"):
        services.import_request_run(user=archivist, batch=batch)
    assert services.import_run(batch_id=batch.pk).status == ImportBatch.Status.FAILED
    assert Customer.objects.count() == 0

    batch = services.import_dry_run(batch_id=batch.pk)
    services.import_configure(user=archivist, batch=batch, mapping=batch.mapping)
    batch.refresh_from_db()
    assert batch.checked_hash  # the same mapping: still checked
    fewer = {header: code for header, code in batch.mapping.items() if code != "notes"}
    services.import_configure(user=archivist, batch=batch, mapping=fewer)
    batch.refresh_from_db()
    with pytest.raises(ValidationError, match="dry run"):
        services.import_request_run(user=archivist, batch=batch)

    batch = services.import_dry_run(batch_id=batch.pk)
    readers.batch_path(batch).write_bytes(csv_text(clean_rows(4)).encode())  # file replaced
    assert services.import_run(batch_id=batch.pk).status == ImportBatch.Status.FAILED
    assert Customer.objects.count() == 0


def test_a_dry_run_that_fails_does_not_allow_the_import(archivist, monkeypatch):
    batch = upload(archivist, csv_text(clean_rows(3)).encode())

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(engine, "_check_chunk", broken)
    batch = services.import_dry_run(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.FAILED
    with pytest.raises(ValidationError, match="dry run"):
        services.import_request_run(user=archivist, batch=batch)


def test_a_failed_half_finished_import_can_be_undone_or_resumed(archivist, monkeypatch):
    # given an import that stops with an error after its first chunk
    monkeypatch.setattr(engine, "FIRST_CHUNK_SIZE", 4)
    monkeypatch.setattr(engine, "CHUNK_SIZE", 4)
    content = csv_text(clean_rows(12)).encode()
    batch = checked(archivist, content)
    write_chunk = engine.write_chunk
    calls = []

    def failing(context, rows):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        write_chunk(context, rows)

    monkeypatch.setattr(engine, "write_chunk", failing)
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.processed_rows) == (ImportBatch.Status.FAILED, 4)
    assert Customer.objects.count() == 4

    # when it is undone, then the customers it created are gone
    counts = services.import_undo(user=archivist, batch=batch)
    assert counts["deleted"] == 4
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE
    assert Customer.objects.count() == 0


def test_a_failed_half_finished_import_resumes(archivist, monkeypatch):
    monkeypatch.setattr(engine, "FIRST_CHUNK_SIZE", 4)
    monkeypatch.setattr(engine, "CHUNK_SIZE", 4)
    batch = checked(archivist, csv_text(clean_rows(12)).encode())
    write_chunk = engine.write_chunk
    calls = []

    def failing(context, rows):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        write_chunk(context, rows)

    monkeypatch.setattr(engine, "write_chunk", failing)
    assert services.import_run(batch_id=batch.pk).status == ImportBatch.Status.FAILED
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.created_count) == (ImportBatch.Status.DONE, 12)
    assert Customer.objects.count() == 12


def test_a_header_with_a_stray_quote_is_refused_not_skipped(archivist):
    content = ('姓名,"手机,身份证号\n' + "张伟,13812345678,110101199003070011\n").encode()
    with pytest.raises(ValidationError, match="Line 1 of the file"):
        upload(archivist, content)
