"""The membership import page: a dry run reporting each bad row, then the import (members,
level history, one opening-balance ledger row); refused to a rep; a second run changes
nothing."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from kehu.customers import services as customer_services
from kehu.loyalty import member_import, services
from kehu.loyalty.models import Level, LevelChange, Member, PointsEntry

pytestmark = pytest.mark.django_db
URL = "/loyalty/import/"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def people(rep):
    def person(name, **data):
        return customer_services.customer_create(
            user=rep, kind="person", data={"name": name, **data}
        )

    return {
        "li": person("李娜"),
        "wang": person("王强", phones=["13912340001"]),
        "zhao": person("赵敏"),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def upload(client, text, name="members.csv", encoding="utf-8"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode(encoding))})


def test_dry_run_then_import(programme, admin_user, people):
    li, wang = people["li"], people["wang"]
    text = (
        "客户编号,手机,姓名,会员卡号,会员等级,入会日期,积分余额\n"
        f'{li.pk},,李娜,OLD-0001,Gold card,2023/5/1,"1,200"\n'
        ",13912340001,王强,,银卡,2024-02-29,0\n"
    )
    client = client_for(admin_user)
    assert client.get(reverse("loyalty:overview")).content.decode().count(URL) == 1
    # the dry run (a GBK file, as Chinese Excel saves it) writes nothing
    checked = upload(client, text, encoding="gbk")
    assert checked.status_code == 200
    report = checked.context["report"]
    assert [r.number for r in report.ready] == [2, 3]
    assert not report.problems
    assert not Member.objects.exists()
    # the import
    done = client.post(URL, {"token": report.token, "name": report.name, "action": "import"})
    assert done.context["report"].enrolled == 2
    first = Member.objects.get(customer=li)
    assert (first.card_number, first.level.code, first.joined_on) == (
        "OLD-0001",
        "gold",
        date(2023, 5, 1),
    )
    assert first.via == Member.Via.IMPORT
    assert first.points_balance == 1200
    entry = PointsEntry.objects.get(member=first)
    assert (entry.kind, entry.points, entry.created_by) == ("adjust", 1200, admin_user)
    assert entry.reason == "Imported opening balance"
    second = Member.objects.get(customer=wang)  # found by the phone, with the name
    assert second.level.code == "silver"
    assert second.card_number.startswith(services.programme_get().card_prefix)
    assert not PointsEntry.objects.filter(member=second).exists()
    assert LevelChange.objects.filter(reason="enrolled").count() == 2
    assert services.ledger_reconcile().mismatches == []


def test_a_rep_is_refused(programme, rep, people):
    client = client_for(rep)
    assert client.get(URL).status_code == 403
    assert upload(client, f"客户编号\n{people['li'].pk}\n").status_code == 403
    assert "member-import-link" not in client.get(reverse("loyalty:overview")).content.decode()
    with pytest.raises(PermissionDenied):
        member_import.members_import_check(user=rep, token="x.csv")
    assert not Member.objects.exists()


def test_bad_rows_are_reported_with_their_number_and_reason(programme, admin_user, people):
    li, zhao = people["li"], people["zhao"]
    text = (
        "customer number,phone,card number,level,join date,points\n"
        f"{li.pk},,C1,gold,2024-01-01,10\n"  # 2: good
        "999999,,C2,gold,,\n"  # 3: no such customer
        ",13800000000,C3,,,\n"  # 4: no customer with this phone
        f"{zhao.pk},,C4,铜卡,,\n"  # 5: no such level
        f"{zhao.pk},,C5,,2024-13-01,\n"  # 6: not a date
        f"{zhao.pk},,C6,,,-5\n"  # 7: negative points
        f"{li.pk},,C7,,,\n"  # 8: the same customer as row 2
        f"{zhao.pk},,C1,,,\n"  # 9: the same card as row 2
        "1,2\n"  # 10: a row with too few cells
        ",,C9,,,\n"  # 11: names no customer
    )
    client = client_for(admin_user)
    checked = upload(client, text)
    assert "The same card number as row 2." in checked.content.decode()
    report = checked.context["report"]
    problems = {p["row"]: (p["column"], p["message"]) for p in report.problem_lines}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert problems[3] == (
        "Customer number (Kehu)",
        "No customer in the archive has this Customer number (Kehu).",
    )
    assert problems[4][0] == "Phone"
    assert problems[5][0] == "Level"
    assert "普通卡" in problems[5][1]
    assert problems[6] == ("Join date", "Not a date (e.g. 2024-03-01).")
    assert problems[7] == ("Opening points balance", "The points are a whole number, 0 or more.")
    assert problems[8][1] == "The same customer as row 2."
    assert problems[9] == ("Card number", "The same card number as row 2.")
    assert "cells but the header has 6 columns" in problems[10][1]
    assert problems[11][1] == "The row names no customer (number, ID, phone …)."
    page = client.get(URL)  # the rows are shown on the page
    assert page.status_code == 200
    done = client.post(URL, {"token": report.token, "action": "import"}).context["report"]
    assert done.enrolled == 1
    assert list(Member.objects.values_list("card_number", flat=True)) == ["C1"]


def test_a_file_without_a_customer_column_is_refused(programme, admin_user):
    answer = upload(client_for(admin_user), "卡号,等级\nC1,金卡\n")
    assert answer.context["report"] is None
    assert "a column naming the customer" in answer.context["errors"][0]
    assert "a column naming the customer" in answer.content.decode()


def test_idempotent_and_members_already_are_left_alone(programme, admin_user, rep, people):
    li, wang = people["li"], people["wang"]
    by_hand = services.member_enrol(user=rep, customer=wang)
    text = f"客户编号,卡号,等级,积分\n{li.pk},C1,金卡,50\n{wang.pk},C2,钻石卡,999\n"
    client = client_for(admin_user)
    report = upload(client, text).context["report"]
    assert [r.number for r in report.already] == [3]
    first = client.post(URL, {"token": report.token, "action": "import"}).context["report"]
    assert first.enrolled == 1
    wang_card = Member.objects.get(customer=wang)
    assert (wang_card.card_number, wang_card.level_id, wang_card.points_balance) == (
        by_hand.card_number,
        by_hand.level_id,
        0,
    )
    # the same file again: everyone a member already, nothing written
    again = upload(client, text).context["report"]
    assert len(again.already) == 2
    assert not again.ready
    assert not again.problems
    rerun = client.post(URL, {"token": again.token, "action": "import"}).context["report"]
    assert rerun.enrolled == 0
    assert Member.objects.count() == 2
    assert PointsEntry.objects.count() == 1
    assert Member.objects.get(customer=li).points_balance == 50


def test_the_page_in_chinese(programme, admin_user):
    client = client_for(admin_user)
    client.cookies["kehu_language"] = "zh-hans"
    page = client.get(URL).content.decode()
    assert "导入会员" in page
    assert "期初积分余额" in page
    answer = upload(client, "卡号,等级\nC1,金卡\n").content.decode()
    assert "文件需要有一列标明客户" in answer


def test_the_command_imports_through_the_same_checks(programme, admin_user, rep, people, tmp_path):
    """``kehu loyalty import`` is the page's import: the same checks, each bad row printed."""
    li, wang = people["li"], people["wang"]
    file = tmp_path / "members.csv"
    file.write_text(
        "customer number,level,join date\n"
        f"{li.pk},gold,2025-03-01\n"
        "999999,,\n"  # row 3: no such customer
        f"{wang.pk},,\n",  # row 4: no level named: what their 12 months earn, the lowest here
        encoding="utf-8",
    )

    def run(username, *flags):
        out, err = io.StringIO(), io.StringIO()
        call_command("loyalty", "import", str(file), "--user", username, *flags, stdout=out,
                     stderr=err)  # fmt: skip
        return out.getvalue(), err.getvalue()

    out, err = run(admin_user.username, "--dry-run")
    assert not Member.objects.exists()
    assert "2 to enrol (dry run), 0 members already, 1 rows with problems." in out
    assert err.startswith("row 3: ")
    out, err = run(admin_user.username)
    assert "2 enrolled" in out
    li_card, wang_card = Member.objects.get(customer=li), Member.objects.get(customer=wang)
    assert (li_card.via, li_card.level.code, li_card.joined_on) == (
        "import", "gold", date(2025, 3, 1)
    )  # fmt: skip
    assert wang_card.level == Level.objects.order_by("rank").first()
    assert LevelChange.objects.filter(member__in=[li_card, wang_card]).count() == 2
    out, err = run(admin_user.username)  # a second run enrols nobody
    assert "0 enrolled, 2 members already" in out
    with pytest.raises(CommandError):  # a rep may not import
        run(rep.username)


def test_the_api_dry_run_then_import(programme, admin_user, rep, people):
    li = people["li"]
    text = f"客户编号,会员卡号,会员等级\n{li.pk},OLD-9,金卡\n999999,,\n".encode()
    url = "/api/v1/loyalty/members/import"

    def post(user, **data):
        return client_for(user).post(url, {"file": SimpleUploadedFile("m.csv", text), **data})

    dry = post(admin_user)
    assert dry.status_code == 200
    body = dry.json()
    assert (body["imported"], body["rows"], body["ready"], body["enrolled"]) == (False, 2, 1, 0)
    assert [p["row"] for p in body["problems"]] == [3]
    assert not Member.objects.exists()
    done = post(admin_user, dry_run="false").json()
    assert (done["imported"], done["enrolled"]) == (True, 1)
    assert Member.objects.get(customer=li).card_number == "OLD-9"
    # a rep is refused; a file with no customer column is a 422 with the reason
    assert post(rep).status_code == 403
    bad = client_for(admin_user).post(
        url, {"file": SimpleUploadedFile("m.csv", "会员卡号\nX1\n".encode())}
    )
    assert bad.status_code == 422
    assert "customer" in bad.json()["errors"][0]["message"]
