"""Duplicates the old finder missed (issue 14), caught by the finder and at entry: the form, the
API's ``?check_duplicates``, web-form leads. And the model's two forms (SQL for splink, Python at
entry) give every pair the same weight."""

import math
import random
from collections import Counter
from datetime import date, timedelta

import pyarrow as pa
import pytest

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_organization, make_person
from kehu.dedup.entry import possible_duplicates
from kehu.dedup.finder import SCHEMA, find_duplicates, records_table
from kehu.dedup.model import DEFAULT_THRESHOLD, FREQUENCY_COLUMNS, score
from kehu.dedup.models import DuplicateCandidate
from kehu.dedup.records import address_keys, company_core, customer_record, name_keys

pytestmark = pytest.mark.django_db


def flagged():
    """Pairs the finder puts in the queue at the default threshold."""
    return {(p.a, p.b): p for p in find_duplicates(threshold=DEFAULT_THRESHOLD).pairs}


def key(x, y):
    return tuple(sorted((x.pk, y.pk)))


def strangers():
    make_person(None, "李娜", address="广东省广州市天河区体育西路1号", phones=["13900000001"])
    make_person(None, "王芳", address="陕西省西安市雁塔区长安路3号", phones=["13900000002"])
    make_organization(None, "成都远航物流有限公司", address="四川省成都市武侯区人民南路9号")


# --- keys -----------------------------------------------------------------------------------------


def test_names_are_token_sets_with_compound_surnames():
    assert name_keys("欧阳建国", person=True)["family"] == "ouyang"
    assert name_keys("欧阳建国", person=True)["initial"] == "j"
    assert name_keys("Lachlan Berry", person=True)["name_key"] == "berrylachlan"
    assert name_keys("berry  LACHLAN", person=True)["name_key"] == "berrylachlan"
    assert name_keys("张伟", person=True)["name_py"] == name_keys("章伟", person=True)["name_py"]


def test_company_names_keep_latin_letters_and_digits():
    assert company_core("ABC科技有限公司") == "abc科技"
    assert company_core("XYZ科技有限公司") == "xyz科技"
    assert company_core("永州鼎信商贸股份有限公司") == "永州鼎信商贸"
    assert company_core("华泰（集团）有限公司") == "华泰"
    assert company_core("Acme Pty Ltd") == "acme"


def test_addresses_are_normalised_without_a_region():
    full = address_keys("江苏省南京市鼓楼区青年路八三七號", "江苏省", "南京市", "鼓楼区")
    bare = address_keys("青年路837号")
    assert full["street_key"] == bare["street_key"] == "青年路837"
    # a city or district written with a numeral (三亚, 七里河) goes as any other
    sanya = address_keys("海南省三亚市崖州区解放路七三八号", "海南省", "三亚市", "崖州区")
    assert sanya["street_key"] == "解放路738"
    assert sanya["address_tokens"] == ["738", "放路", "解放"]
    latin = address_keys("6 tullaroop street, willaroo, st james wa 4011")
    assert latin["postcode"] == "4011"
    assert latin["street_key"] == "6 tullaroop"
    assert "4011" not in latin["address_tokens"]


def _levels(x, y):
    return {name: label for name, label, _weight in score(x, y).evidence}


def test_chinese_names_are_related_by_family_name_and_initial_only():
    # Jaro–Winkler on huanggangang / huangxiangyan is above 0.8: the family name's letters
    def person(name):
        return customer_record(customer_id=1, kind="person", name=name)

    assert _levels(person("黄刚刚"), person("黄翔艳"))["name"] == "else"
    assert _levels(person("黄刚刚"), person("黄光明"))["name"] == "related name"
    # Latin names keep it: a misspelt given name
    assert _levels(person("Jonathan Smith"), person("Jonothan Smyth"))["name"] == "related name"


def test_chinese_names_are_similar_one_character_apart_and_not_by_pinyin():
    def person(name):
        return customer_record(customer_id=1, kind="person", name=name)

    def firm(name):
        return customer_record(customer_id=1, kind="organization", name=name)

    assert _levels(person("贾丽琪"), person("贾杰琪"))["name"] == "similar name (typo)"
    # zhaojian / zhaojuanxiu are 0.92 alike by Jaro–Winkler: the family name's letters
    assert _levels(person("赵建"), person("赵娟秀"))["name"] != "similar name (typo)"
    # one character of a firm's name is often its city: two firms of one brand
    assert _levels(firm("郑州百盛机械有限公司"), firm("徐州百盛机械有限公司"))["name"] == "else"
    assert _levels(firm("重庆东方咨询有限公司"), firm("重庆东方电子有限公司"))["name"] == "else"
    assert _levels(person("Jon Smith"), person("John Smith"))["name"] == "similar name (typo)"


def test_one_street_address_in_two_cities_is_not_the_same_address():
    def person(city, address):
        return customer_record(customer_id=1, kind="person", name="李慧", city=city,
                               address=address)  # fmt: skip

    shanwei, zhuzhou = person("汕尾市", "民主路67号"), person("株洲市", "民主路67号")
    assert _levels(shanwei, person("汕尾市", "民主路67号"))["address"] == "same street address"
    assert _levels(shanwei, person("", "民主路67号"))["address"] == "same street address"
    assert _levels(shanwei, zhuzhou)["address"] != "same street address"


# --- the misses of the issue, through the finder -----------------------------------------


def test_same_name_and_birth_date_without_address_are_flagged():
    strangers()
    a = make_person(None, "欧阳建国", **{"person.birth_date": "1975-04-02"})
    b = make_person(None, "欧阳建国", **{"person.birth_date": "1975-04-02"})
    found = flagged()
    assert key(a, b) in found
    assert {"name", "birth_date"} <= set(found[key(a, b)].agreed)


def test_same_street_without_a_city_is_flagged():
    strangers()
    a = make_person(None, "司马文静", address="青年路18号")
    b = make_person(None, "司马文静", address="青年路18号3单元")
    found = flagged()
    assert key(a, b) in found
    assert "address" in found[key(a, b)].agreed


def test_a_phone_in_common_alone_is_flagged():
    strangers()
    a = make_person(None, "刘洋", phones=["13812345678"])
    b = make_person(None, "陈静", phones=["13812345678"])
    found = flagged()
    assert key(a, b) in found
    assert found[key(a, b)].agreed == ["phone"]


def test_companies_at_one_address_with_other_latin_names_are_not_flagged():
    strangers()
    a = make_organization(None, "ABC科技有限公司", address="上海市浦东新区张江路100号")
    b = make_organization(None, "XYZ科技有限公司", address="上海市浦东新区张江路100号")
    assert key(a, b) not in flagged()


def test_a_phone_one_digit_apart_is_compared():
    strangers()
    a = make_person(None, "周杰", phones=["13812345678"], **{"person.birth_date": "1990-01-05"})
    b = make_person(None, "周杰", phones=["13812345679"], **{"person.birth_date": "1990-05-01"})
    found = flagged()
    assert key(a, b) in found
    levels = {name for name, _label, w in _evidence(a, b) if w > 0}
    assert {"phone", "birth_date", "name"} <= levels  # a digit slip; day and month swapped


def _evidence(a, b):
    rows = {r["unique_id"]: r for r in records_table().to_pylist()}
    return score(rows[a.pk], rows[b.pk]).evidence


def test_python_and_sql_scores_agree():
    # given a small archive of look-alikes of every kind
    strangers()
    make_person(None, "张伟", phones=["13812345678"], address="北京市朝阳区建国路1号")
    make_person(None, "章伟", phones=["13812345679"], address="北京市朝阳区建国路1号院")
    make_person(None, "Lachlan Berry", address="6 tullaroop street, st james wa 4011",
           **{"person.birth_date": "1999-02-19"})  # fmt: skip
    make_person(None, "berry lachlna", address="6 tullaroop st, st james wa 4011",
           **{"person.birth_date": "1999-12-19"})  # fmt: skip
    make_organization(None, "ABC科技有限公司", address="上海市浦东新区张江路100号")
    make_organization(None, "ABC科技股份有限公司", address="上海市浦东新区张江路100号")
    make_person(None, "黄刚刚", address="广东省汕尾市城区民主路67号",
           **{"person.birth_date": "1966-01-23"})  # fmt: skip
    make_person(None, "黄翔艳", address="湖南省株洲市芦淞区民主路67号",
           **{"person.birth_date": "1966-01-23"})  # fmt: skip
    # one character apart: DuckDB's levenshtein counts the bytes of 丽 and 杰 (3 apart)
    make_person(None, "贾丽琪", **{"person.birth_date": "1990-04-26"})
    make_person(None, "贾杰琪", **{"person.birth_date": "1990-04-26"})
    rows = records_table().to_pylist()
    by_id = {r["unique_id"]: r for r in rows}
    # when the finder scores every blocked pair (SQL) and Python scores the same pairs
    found = find_duplicates(threshold=-40, table=pa.Table.from_pylist(rows, schema=SCHEMA))
    assert len(found.pairs) >= 4
    for pair in found.pairs:
        mine = score(by_id[pair.a], by_id[pair.b])
        # then both give the same weight
        assert mine.weight == pytest.approx(pair.weight, abs=1e-6)


def _trained_archive() -> list[dict]:
    """1,088 records, enough to train u: 1,000 strangers, each with an e-mail; 30 namesakes 王伟
    born on three days; 25 rare names, each entered twice with one birth date; 8 firms of one
    brand in eight cities sharing one e-mail."""
    rng = random.Random(5)
    given = "明华建国丽娟伟芳静敏强磊军洋勇艳杰娜涛超秀霞平刚桂英"
    rows: list[dict] = []

    def add(kind, name, born, **values):
        rows.append(customer_record(customer_id=len(rows) + 1, kind=kind, name=name,
                                    birth_date=born, **values))  # fmt: skip

    for n in range(1000):
        name = rng.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗") + rng.choice(given)
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(18000))
        city = rng.choice(["杭州市", "苏州市"])
        add("person", name + rng.choice(given), born, city=city, emails=[f"kh{n}@qq.com"])
    for n in range(30):
        add("person", "王伟", date(1980, 1, 10 + n % 3), city="杭州市")
    for n in range(25):
        for _twice in range(2):
            add("person", f"欧阳{given[n]}{given[-1]}", date(1980, 1, 10), city="杭州市")
    for city in ("郑州", "徐州", "苏州", "杭州", "广州", "福州", "温州", "泉州"):
        add("organization", f"{city}百盛机械有限公司", None, emails=["info@baisheng424.com"])
    return rows


def test_sql_and_python_give_the_same_weight_with_a_trained_model_and_term_frequencies():
    rows = _trained_archive()
    by_id = {r["unique_id"]: r for r in rows}
    # when the finder trains u on the archive and scores every blocked pair
    found = find_duplicates(threshold=-40, table=pa.Table.from_pylist(rows, schema=SCHEMA))
    assert found.parameters
    # and Python scores them with the same u and the share of the others holding each value
    counts = {column: Counter(r[column] for r in rows) for column in FREQUENCY_COLUMNS}

    def shares(column, value):
        return (counts[column][value] - 1) / len(rows)

    weights = {}
    for pair in found.pairs:
        a, b = by_id[pair.a], by_id[pair.b]
        # then both give the same weight
        assert score(a, b, found.parameters, shares).weight == pytest.approx(pair.weight, abs=1e-6)
        if a["name"] == b["name"] and a["birth_date"] == b["birth_date"]:
            weights[a["name"]] = pair.weight
    # and the same name and birth date weigh less for 王伟, held by 30, than for a name held by two
    assert weights["王伟"] < weights["欧阳明英"] - 4
    # and an e-mail eight firms share weighs less than the trained u alone says
    firms = [p for p in found.pairs if by_id[p.a]["kind"] == "organization"]
    assert len(firms) == 28
    untouched = score(by_id[firms[0].a], by_id[firms[0].b], found.parameters)
    assert firms[0].weight < untouched.weight - 2


# --- at entry -------------------------------------------------------------------------------------


def test_entry_finds_the_customer_entered_again():
    strangers()
    first = make_person(None, "欧阳建国", phones=["13812345678"], address="北京市朝阳区建国路1号")
    found = possible_duplicates(
        kind="person",
        data={"name": "欧阳建国", "phones": ["138 1234 5678"], "address": "北京市朝阳区建国路1号"},
    )
    assert [d.customer_id for d in found] == [first.pk]
    assert {"name", "phone", "address"} <= {name for name, _label in found[0].evidence}


def test_entry_finds_a_phone_one_digit_apart_and_the_same_name():
    strangers()
    first = make_person(None, "司马文静", phones=["13812345678"])
    found = possible_duplicates(kind="person", data={"name": "司马文静", "phones": ["13812345670"]})
    assert [d.customer_id for d in found] == [first.pk]


def test_entry_finds_nothing_for_a_new_customer():
    strangers()
    make_person(None, "欧阳建国", phones=["13812345678"])
    assert (
        possible_duplicates(kind="person", data={"name": "赵敏", "phones": ["13698765432"]}) == []
    )


def test_form_warns_and_links_the_existing_customer(client, rep):
    # given a customer of the rep's
    existing = make_person(rep, "欧阳建国", phones=["13812345678"], address="北京市朝阳区建国路1号")
    client.force_login(rep)
    data = {"name": "欧阳建国", "phones": "13812345678", "address": "北京市朝阳区建国路1号",
            "lifecycle_stage": "lead", "grade": "general"}  # fmt: skip
    # when the same customer is entered again
    response = client.post("/customers/new/?kind=person", data)
    # then nothing is saved and the existing one is shown with its evidence and a link
    assert response.status_code == 200
    assert Customer.objects.filter(name="欧阳建国").count() == 1
    html = response.content.decode()
    assert 'data-testid="possible-duplicates"' in html
    assert f"/customers/{existing.pk}/" in html
    # and "create anyway" saves it and queues the pair for review
    response = client.post("/customers/new/?kind=person", {**data, "save_anyway": "1"})
    assert response.status_code == 302
    new = Customer.objects.filter(name="欧阳建国").exclude(pk=existing.pk).get()
    assert DuplicateCandidate.objects.filter(customer_a=existing, customer_b=new).exists()


def test_api_check_duplicates(client, rep, other_rep):
    existing = make_person(rep, "欧阳建国", phones=["13812345678"])
    body = {"kind": "person", "fields": {"name": "欧阳建国", "phones": ["13812345678"]}}
    url = "/api/v1/customers/?check_duplicates=true"
    # the owner sees the existing customer with its evidence; nothing is created
    client.force_login(rep)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 409
    found = response.json()["possible_duplicates"]
    assert [d["customer_id"] for d in found] == [existing.pk]
    assert "phone" in found[0]["agreed"]
    # another rep is told of a possible duplicate without seeing whose
    client.force_login(other_rep)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["possible_duplicates"][0]["customer_id"] is None
    assert response.json()["possible_duplicates"][0]["name"] == ""
    assert Customer.objects.filter(name="欧阳建国").count() == 1
    # without the flag it is created
    response = client.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 201


def test_api_check_duplicates_refuses_a_read_only_user(client, make_user):
    from kehu.accounts.models import Role

    make_person(None, "欧阳建国", phones=["13812345678"])
    leader = make_user(Role.LEADER, username="leader1")
    client.force_login(leader)
    body = {"kind": "person", "fields": {"name": "欧阳建国", "phones": ["13812345678"]}}
    response = client.post(
        "/api/v1/customers/?check_duplicates=true", body, content_type="application/json"
    )
    assert response.status_code == 403


# --- the importer's dry run ---------------------------------------------------------------


def test_dry_run_reports_likely_duplicates_in_the_file_and_the_archive(
    archivist, settings, tmp_path
):
    import io

    from kehu.imports import services
    from kehu.imports.models import ImportRow

    settings.DATA_DIR = tmp_path
    # given a customer in the archive and a file that enters it again with a phone one digit
    # apart, and the same person twice with day and month swapped
    existing = make_person(None, "司马文静", phones=["13812345678"], address="青年路18号")
    text = (
        "姓名,手机,地址,出生日期\n"
        "司马文静,13812345670,,\n"
        "欧阳建国,,,1975-04-02\n"
        "赵敏,13698765432,,\n"
        "欧阳建国,,,1975-02-04\n"
    )
    batch = services.import_upload(user=archivist, upload=io.BytesIO(text.encode()), name="x.csv")
    # when the dry run checks it
    batch = services.import_dry_run(batch_id=batch.pk)
    # then both are reported (the rows stay valid) and nothing else is
    assert batch.status == "validated"
    assert batch.valid_rows == 4
    report = {r.row_number: r for r in ImportRow.objects.filter(batch=batch)}
    assert set(report) == {2, 5}
    assert report[2].customer_id == existing.pk
    assert "#" + str(existing.pk) in report[2].problems[0]["message"]
    assert report[5].customer_id is None
    assert "3" in report[5].problems[0]["message"]  # row 3, the earlier one


def test_entry_finds_the_same_e_mail_whatever_its_case():
    strangers()
    first = make_person(None, "李娜", emails=["Li.Na@Example.com"])
    found = possible_duplicates(
        kind="person", data={"name": "李娜娜", "emails": ["li.na@example.com"]}
    )
    assert [d.customer_id for d in found] == [first.pk]
    assert "email" in {name for name, _label in found[0].evidence}


def test_entry_scores_with_the_parameters_the_latest_search_estimated():
    from django.utils import timezone

    from kehu.dedup.model import comparisons
    from kehu.dedup.models import DuplicateRun

    strangers()
    first = make_person(None, "刘洋", phones=["13812345678"])
    data = {"name": "陈静", "phones": ["13812345678"]}
    # with the priors a phone in common alone is worth a look
    assert [d.customer_id for d in possible_duplicates(kind="person", data=data)] == [first.pk]
    # an archive where strangers often share a phone (its search estimated so) says otherwise
    parameters = {c.name: [(level.m, level.u) for level in c.levels] for c in comparisons()}
    parameters["phone"][0] = (0.8, 0.01)
    DuplicateRun.objects.create(
        threshold=-8, status="done", finished_at=timezone.now(), parameters=parameters
    )
    assert possible_duplicates(kind="person", data=data) == []


def test_entry_weighs_a_name_by_how_many_customers_of_the_latest_search_hold_it():
    from django.utils import timezone

    from kehu.dedup.model import comparisons
    from kehu.dedup.models import DuplicateRun

    strangers()
    for day in (1, 2, 3, 4):  # four other 王伟 in one city, born on other days
        make_person(None, "王伟", address="浙江省杭州市西湖区文三路1号",
                    **{"person.birth_date": f"1980-02-0{day}"})  # fmt: skip
    rare = make_person(None, "欧阳明英", address="浙江省杭州市西湖区文三路9号",
                       **{"person.birth_date": "1980-01-10"})  # fmt: skip
    common = make_person(None, "王伟", address="浙江省杭州市西湖区文三路9号",
                         **{"person.birth_date": "1980-01-10"})  # fmt: skip
    parameters = {c.name: [(level.m, level.u) for level in c.levels] for c in comparisons()}
    parameters["name"][1] = (0.7, 0.002)
    DuplicateRun.objects.create(threshold=-8, status="done", finished_at=timezone.now(),
                                parameters=parameters, customers=1000)  # fmt: skip

    def weight(name, customer):
        data = {"name": name, "address": "浙江省杭州市西湖区文三路9号",
                "person.birth_date": "1980-01-10"}  # fmt: skip
        found = {d.customer_id: d.score for d in possible_duplicates(kind="person", data=data)}
        return {c: w for c, _label, w in found[customer.pk].evidence}["name"]

    # a name held by one customer of 1,000 keeps the trained u; one held by five has 5/1000
    assert weight("欧阳明英", rare) == pytest.approx(math.log2(0.7 / 0.002))
    assert weight("王伟", common) == pytest.approx(math.log2(0.7 / (5 / 1000)))


def test_an_imported_rows_archive_candidates_share_the_customers_own_phone_or_e_mail():
    """A contact person's phone or e-mail at another customer makes that customer no
    candidate: only a customer's own numbers and addresses are looked up."""
    from kehu.customers.models import Contact, Email, Phone
    from kehu.dedup.entry import _archive_candidates, entry_record

    own = make_person(None, "钱多多", phones=["13811112222"], emails=["qian@example.com"])
    other = make_person(None, "孙大圣")
    contact = Contact.objects.create(customer=other, name="孙大圣的助理")
    Phone.objects.create(customer=other, contact=contact, number="+8613833334444")
    Email.objects.create(customer=other, contact=contact, address="zhuli@example.com")
    rows = [
        (2, {"name": "钱多", "phones": ["+8613811112222"], "emails": ["qian@example.com"]}),
        (3, {"name": "周助理", "phones": ["+8613833334444"], "emails": ["zhuli@example.com"]}),
    ]
    records = [(n, entry_record("person", v, region=False, cleaned=True)) for n, v in rows]
    candidates = _archive_candidates("person", records)
    assert own.pk in candidates.get(2, set())
    assert other.pk not in candidates.get(3, set())
