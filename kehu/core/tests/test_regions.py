import random
import sys
from datetime import date

import pytest

from kehu.core.idcard import PROVINCE_CODES, make_id_number, parse_id_number
from kehu.core.regions import (
    Region,
    parse_region,
    parse_regions,
    provinces,
    region_for_adcode,
    region_rows,
)


@pytest.mark.parametrize(
    ("address", "region"),
    [
        (
            "广东省深圳市南山区科技园科苑路15号",
            Region(province="广东省", city="深圳市", district="南山区", adcode="440305"),
        ),
        (
            "浙江杭州西湖区文三路90号",
            Region(province="浙江省", city="杭州市", district="西湖区", adcode="330106"),
        ),
        (
            "杭州市西湖区文三路",
            Region(province="浙江省", city="杭州市", district="西湖区", adcode="330106"),
        ),
        (
            "徐汇区虹漕路461号58号楼5楼",
            Region(province="上海市", city="上海市", district="徐汇区", adcode="310104"),
        ),
        (
            "新疆维吾尔自治区乌鲁木齐市天山区",
            Region(
                province="新疆维吾尔自治区", city="乌鲁木齐市", district="天山区", adcode="650102"
            ),
        ),
        (
            "湖北省仙桃市",
            Region(
                province="湖北省", city="省直辖县级行政区划", district="仙桃市", adcode="429004"
            ),
        ),
        ("福建省福州市", Region(province="福建省", city="福州市", adcode="350100")),
        ("广东省", Region(province="广东省", adcode="440000")),
        ("香港特别行政区中环", Region(province="香港特别行政区", adcode="810000")),
    ],
)
def test_addresses_resolve_to_province_city_and_district(address, region):
    assert parse_region(address) == region


@pytest.mark.parametrize(
    ("address", "region"),
    [
        (
            "北京市朝阳区建国路88号",
            Region(province="北京市", city="北京市", district="朝阳区", adcode="110105"),
        ),
        (
            "上海浦东新区张江路",
            Region(province="上海市", city="上海市", district="浦东新区", adcode="310115"),
        ),
        (
            "天津市和平区",
            Region(province="天津市", city="天津市", district="和平区", adcode="120101"),
        ),
        (
            "重庆市万州区",
            Region(province="重庆市", city="重庆市", district="万州区", adcode="500101"),
        ),
        ("重庆市忠县", Region(province="重庆市", city="重庆市", district="忠县", adcode="500233")),
    ],
)
def test_municipalities_repeat_their_name_as_the_city(address, region):
    # The table's city level of a municipality is 市辖区 (or 县 for Chongqing's counties).
    assert parse_region(address) == region


@pytest.mark.parametrize("address", ["", "   ", "xxx", "请联系前台", "123 Main Street"])
def test_addresses_without_a_region_give_an_empty_one(address):
    assert parse_region(address) == Region()


def test_an_area_newer_than_the_table_resolves_to_the_level_it_knows():
    # 光明区 was created in 2018; the bundled table stops at 深圳市.
    assert parse_region("深圳市光明区光明大道") == Region(
        province="广东省", city="深圳市", adcode="440300"
    )


def test_parse_regions_keeps_order_and_empties():
    addresses = ["北京市朝阳区", "", "福建省", "xxx", "杭州市西湖区"]
    assert parse_regions(addresses) == [parse_region(address) for address in addresses]
    assert parse_regions([]) == []


def test_region_for_adcode():
    assert region_for_adcode("110105") == parse_region("北京市朝阳区")
    assert region_for_adcode("440300") == Region(province="广东省", city="深圳市", adcode="440300")
    assert region_for_adcode("440000") == Region(province="广东省", adcode="440000")


@pytest.mark.parametrize("adcode", ["", "11010", "1101050", "abcdef", "999999", "110199"])
def test_region_for_an_unknown_adcode_is_empty(adcode):
    assert region_for_adcode(adcode) == Region()


def test_region_rows_are_real_districts():
    rows = region_rows()
    assert len(rows) > 2800
    assert list(rows) == sorted(rows, key=lambda row: row.adcode)
    assert len({row.adcode for row in rows}) == len(rows)
    for row in rows:
        assert len(row.adcode) == 6
        assert row.adcode.isdigit()
        assert row.adcode[:2] in PROVINCE_CODES
        assert row.province
        assert row.city
        assert row.district
        assert row.district != "市辖区"
        assert not row.adcode.endswith("00")


def test_every_region_row_round_trips_through_parsing():
    rows = list(region_rows())
    addresses = [row.province + row.city + row.district for row in rows]
    assert parse_regions(addresses) == rows


def test_provinces():
    listed = provinces()
    assert [province.adcode[:2] for province in listed] == sorted(PROVINCE_CODES)
    assert listed[0] == Region(province="北京市", adcode="110000")
    assert all(not province.city and not province.district for province in listed)


def test_id_numbers_made_from_region_rows_name_their_birthplace():
    # given
    rng = random.Random(20240601)
    rows = rng.sample(region_rows(), 200)
    for row in rows:
        number = make_id_number(
            region_code=row.adcode, birth_date=date(1985, 3, 9), sequence=7, gender="female"
        )
        # when
        parsed = parse_id_number(number)
        # then
        assert region_for_adcode(parsed.region_code) == row


def test_loading_cpca_leaves_no_stand_in_pkg_resources_behind():
    region_rows()
    stand_in = sys.modules.get("pkg_resources")
    assert stand_in is None or hasattr(stand_in, "working_set")
