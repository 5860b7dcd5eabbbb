"""The finder's blocking keys and scores, on small archives written through the services."""

import pyarrow as pa
import pytest

from kehu.customers.tests.factories import make_organization, make_person
from kehu.dedup.finder import (
    DEFAULT_THRESHOLD,
    SCHEMA,
    company_core,
    find_duplicates,
    name_pinyin,
    records_table,
)
from kehu.dedup.model import CROWDED
from kehu.dedup.records import customer_record

pytestmark = pytest.mark.django_db

ID_1 = "110101199003074514"


def pairs(threshold=-40.0):
    result = find_duplicates(threshold=threshold, train=False)
    return {(p.a, p.b): p for p in result.pairs}


def key(x, y):
    return tuple(sorted((x.pk, y.pk)))


def strangers():
    """Customers unlike the ones a test compares, so the archive is not all look-alikes."""
    make_person(None, "欧阳娜", address="广东省广州市天河区体育西路1号", phones=["13900000001"])
    make_person(None, "司马光", address="陕西省西安市雁塔区长安路3号", phones=["13900000002"])
    make_organization(None, "成都远航物流有限公司", address="四川省成都市武侯区人民南路9号")


def test_company_suffixes_are_stripped():
    assert company_core("永州鼎信商贸有限公司") == "永州鼎信商贸"
    assert company_core("永州鼎信商贸股份有限公司") == "永州鼎信商贸"
    assert company_core("永州 鼎信商贸 有限责任公司") == "永州鼎信商贸"
    assert company_core("华泰集团有限公司") == "华泰"
    assert company_core("华泰（集团）有限公司") == "华泰"
    assert company_core("有限公司") == "有限公司"


def test_homophone_surnames_read_alike():
    assert name_pinyin("张伟", person=True) == name_pinyin("章伟", person=True) == "zhangwei"
    assert name_pinyin("曾伟", person=True) == "zengwei"


@pytest.mark.parametrize(
    ("first", "second", "rule"),
    [
        ({"phones": ["13800138000"]}, {"phones": ["13900139000", "13800138000"]}, "phone"),
        ({"emails": ["li@example.com"]}, {"emails": ["LI@example.com"]}, "email"),
        (
            {"address": "北京市朝阳区建国路1号"},
            {"address": "北京市朝阳区光华路2号"},
            "pinyin+region",
        ),
    ],
)
def test_person_blocking_keys(first, second, rule):
    # given two people sharing only this key (names read alike where the rule is the name)
    strangers()
    names = ("张伟", "章伟") if rule == "pinyin+region" else ("李娜", "王芳")
    a, b = make_person(None, names[0], **first), make_person(None, names[1], **second)
    # when every blocked pair is scored
    found = pairs()
    # then they were compared
    assert key(a, b) in found


def test_id_hash_blocks():
    # The database keeps one ID number per live customer, so two live customers sharing an ID
    # hash cannot be written; the rule still matters for archives loaded before the constraint.
    strangers()
    a, b = make_person(None, "李娜", **{"person.id_number": ID_1}), make_person(None, "王芳")
    rows = records_table().to_pylist()
    by_id = {row["unique_id"]: row for row in rows}
    assert by_id[a.pk]["id_hash"]
    assert by_id[b.pk]["id_hash"] is None
    by_id[b.pk]["id_hash"] = by_id[a.pk]["id_hash"]
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    found = {(p.a, p.b): p for p in find_duplicates(threshold=-40, table=table, train=False).pairs}
    assert "id_number" in found[key(a, b)].agreed
    # the same ID number outweighs two names with nothing in common: the pair reaches the queue
    assert found[key(a, b)].weight >= DEFAULT_THRESHOLD


def test_credit_code_and_company_name_block():
    strangers()
    a = make_organization(
        None, "永州鼎信商贸有限公司", **{"organization.credit_code": "91430100MA4L16JQ9D"}
    )
    b = make_organization(None, "永州鼎信商贸")
    c = make_organization(None, "长沙华泰电子有限公司")
    found = pairs()
    assert key(a, b) in found
    assert "name" in found[key(a, b)].agreed
    assert key(a, c) not in found


def test_homophone_with_the_same_phone_scores_high():
    strangers()
    a = make_person(None, "张伟", phones=["13800138000"], address="北京市朝阳区建国路1号")
    b = make_person(None, "章伟", phones=["13800138000"], address="北京市朝阳区建国路1号")
    found = pairs(0.9)
    assert key(a, b) in found
    assert {"name", "phone", "address"} <= set(found[key(a, b)].agreed)


def test_typo_in_the_name_scores_high():
    strangers()
    a = make_person(None, "王建国", phones=["13800138000"], **{"person.birth_date": "1980-05-01"})
    b = make_person(None, "王建图", emails=["w@example.com"], **{"person.birth_date": "1980-05-01"})
    a_addr = "上海市浦东新区世纪大道100号"
    from kehu.customers.services import customer_update

    customer_update(user=None, customer=a, data={"address": a_addr})
    customer_update(user=None, customer=b, data={"address": a_addr})
    assert key(a, b) in pairs(0.9)


def test_unrelated_people_with_the_same_name_score_low():
    strangers()
    a = make_person(None, "张伟", phones=["13800138000"], address="北京市朝阳区建国路1号",
               **{"person.birth_date": "1980-05-01"})  # fmt: skip
    b = make_person(None, "张伟", phones=["13700137000"], address="北京市海淀区中关村大街27号",
               **{"person.birth_date": "1992-11-23"})  # fmt: skip
    found = pairs()
    assert key(a, b) in found  # compared (same pinyin, same city)…
    assert found[key(a, b)].probability < 0.5  # …and told apart


def _person(customer_id, name, birth_date):
    return customer_record(customer_id=customer_id, kind="person", name=name, birth_date=birth_date)


def test_a_crowded_weak_key_is_not_compared_pair_by_pair():
    # given two people sharing only family name, initial and birth year (王建国, 王佳怡, 1985)…
    given = "建佳杰俊军娟静晶菊锦剑洁嘉家江金敬京娇骏婕"  # all read j…
    last = "一二三四五六七八九十百千万东南西北春夏秋红"  # no two full names read alike
    pair = [_person(1, "王建国", "1985-02-03"), _person(2, "王佳怡", "1985-07-19")]
    # …and, elsewhere, 21 people sharing family name, initial and birth year 1986 (a bucket
    # bigger than CROWDED), none sharing anything else
    crowd = [
        _person(100 + n, f"李{given[n]}{last[n]}", f"1986-{1 + n % 12:02}-{1 + n:02}")
        for n in range(CROWDED + 1)
    ]
    table = pa.Table.from_pylist(pair + crowd, schema=SCHEMA)
    # when every blocked pair is scored
    found = find_duplicates(threshold=-40, table=table, train=False)
    # then the pair was compared, the crowd's pairs were not
    assert {(p.a, p.b) for p in found.pairs} == {(1, 2)}
    assert found.pairs_compared == 1
    # and a crowd of CROWDED is still compared pair by pair
    table = pa.Table.from_pylist(pair + crowd[:CROWDED], schema=SCHEMA)
    assert find_duplicates(threshold=-40, table=table, train=False).pairs_compared == 1 + 190


@pytest.mark.django_db(transaction=True)
def test_a_large_archive_is_read_by_forked_readers_with_the_same_result(monkeypatch):
    from kehu.dedup import finder

    # given an archive with look-alikes (committed: the readers have connections of their own)
    strangers()
    make_person(None, "张伟", phones=["13800138000"], address="北京市朝阳区建国路1号")
    make_person(None, "章伟", phones=["13800138000"], address="北京市朝阳区建国路1号")
    make_organization(None, "永州鼎信商贸有限公司")
    make_organization(None, "永州鼎信商贸")
    read_here = find_duplicates(threshold=-40, train=False)
    # when it counts as large enough to be read apart
    monkeypatch.setattr(finder, "READ_APART_FROM", 2)
    read_apart = find_duplicates(threshold=-40, train=False)
    # then the readers read every customer and the same pairs score the same
    assert read_apart.customers == read_here.customers == 7
    assert read_apart.pairs_compared == read_here.pairs_compared > 0
    assert {(p.a, p.b): round(p.weight, 9) for p in read_apart.pairs} == {
        (p.a, p.b): round(p.weight, 9) for p in read_here.pairs
    }


def test_the_pairs_blocked_are_splinks_own_with_the_first_rule_that_pairs_them(tmp_path):
    # given an archive where pairs share one key, several keys, or keys a crowd shares too
    import logging

    from splink import DuckDBAPI, Linker

    from kehu.dedup import finder

    strangers()
    for n in range(3):
        make_person(None, "张伟", phones=["13800138000"], address="北京市朝阳区建国路1号")
        make_person(
            None,
            "章伟",
            address="北京市朝阳区建国路1号",
            **{"person.birth_date": f"1990-03-0{n + 1}"},
        )
        make_person(None, f"王{'建佳杰'[n]}国", emails=[f"wang{n}@example.com"])
        make_organization(None, "永州鼎信商贸有限公司", address="湖南省永州市零陵区南津路2号")
    make_person(None, "李娜", phones=["13900139000", "13800138000"])
    con = finder._duckdb(str(tmp_path))
    con.register("records", records_table())
    finder._with_capped_keys(con, "records")
    # when the finder blocks
    pairs = finder._block(con)
    # then it gives the pairs splink's own blocking gives, each with the same rule
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("kehu_customers"), finder.settings(), log_level=logging.WARNING)
    splinks = linker.inference.compute_blocked_pairs_for_predict().physical_name
    rows = "SELECT match_key, join_key_l, join_key_r FROM {} ORDER BY ALL"
    ours = con.execute(rows.format("kehu_blocked")).fetchall()
    assert ours == con.execute(rows.format(splinks)).fetchall()
    assert len(ours) == pairs
    assert len({key for key, _l, _r in ours}) >= 4
