"""Administrative regions (行政区划): free-text addresses to province / city / district + adcode.

Backed by the ``cpca`` package and the region table it bundles (works offline). Its table dates
from about 2017: areas created or renamed since (深圳市光明区, 济南市莱芜区, 那曲市 …) resolve
only as far as the level that still matches, or not at all.

cpca and pandas load on first use (about half a second), not when this module is imported.
"""

import importlib.resources
import sys
import threading
import types
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import IO, Any

# Municipalities (直辖市): the table names their city level 市辖区 or 县; people say 北京市.
_MUNICIPALITY_CODES = frozenset({"11", "12", "31", "50"})
_MUNICIPALITY_CITY_PLACEHOLDERS = frozenset({"市辖区", "县"})
# Rows of the table that stand for "the districts of this city" rather than a real district.
_DISTRICT_PLACEHOLDER = "市辖区"

_import_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Region:
    province: str = ""
    city: str = ""
    district: str = ""
    # The 6-digit code of the most precise level found (GB/T 2260; ID numbers start with it).
    adcode: str = ""


@cache
def _cpca() -> types.ModuleType:
    # cpca 0.5.5 reads its bundled table at import time through pkg_resources, which recent
    # setuptools no longer ships (and older ones warn about). Serve that one call from
    # importlib.resources while cpca imports, then put back whatever was there.
    def resource_stream(package: str, name: str) -> IO[bytes]:
        return importlib.resources.files(package).joinpath(name).open("rb")

    shim = types.ModuleType("pkg_resources")
    shim.resource_stream = resource_stream  # type: ignore[attr-defined]
    with _import_lock:
        saved = sys.modules.get("pkg_resources")
        sys.modules["pkg_resources"] = shim
        try:
            import cpca
        finally:
            if saved is None:
                del sys.modules["pkg_resources"]
            else:
                sys.modules["pkg_resources"] = saved
    module: types.ModuleType = cpca
    return module


def _text(value: Any) -> str:
    # cpca reports a missing level as None, or as NaN once pandas has built a column of them.
    return value if isinstance(value, str) else ""


def _region(*, province: str, city: str, district: str, adcode: str) -> Region:
    if adcode[:2] in _MUNICIPALITY_CODES and city in _MUNICIPALITY_CITY_PLACEHOLDERS:
        city = province
    return Region(province=province, city=city, district=district, adcode=adcode)


def parse_regions(addresses: Iterable[str]) -> list[Region]:
    """The region of each address, in order; ``Region()`` (all "") where none is recognised.

    Prefer this to a loop over ``parse_region`` for many addresses: it is one cpca call.
    """
    batch = list(addresses)
    if not batch:
        return []  # cpca's frame of no rows has no columns either
    records = _cpca().transform(batch).to_dict("records")
    return [
        _region(
            province=_text(record["省"]),
            city=_text(record["市"]),
            district=_text(record["区"]),
            adcode=_text(record["adcode"]),
        )
        for record in records
    ]


def parse_region(address: str) -> Region:
    """The province, city and district an address names, e.g. 杭州市西湖区文三路 →
    浙江省 / 杭州市 / 西湖区 / 330106; ``Region()`` (all "") when none is recognised.

    A district named without its city resolves to the first of that name in the table
    (朝阳区 alone → 长春市朝阳区), so ask for the city when it matters.
    """
    if not address.strip():
        return Region()
    return parse_regions([address])[0]


def region_for_adcode(adcode: str) -> Region:
    """The named region of a 6-digit adcode (e.g. an ID number's first 6 digits); ``Region()``
    when the table doesn't have it."""
    if len(adcode) != 6 or not adcode.isascii() or not adcode.isdigit():
        return Region()
    cpca = _cpca()
    if cpca.adcode_name(adcode) is None:
        return Region()
    province = _text(cpca.adcode_name(adcode[:2]))
    if adcode.endswith("0000"):
        return Region(province=province, adcode=adcode)
    city = _text(cpca.adcode_name(adcode[:4]))
    district = "" if adcode.endswith("00") else _text(cpca.adcode_name(adcode))
    return _region(province=province, city=city, district=district, adcode=adcode)


@cache
def region_rows() -> tuple[Region, ...]:
    """Every district-level region (区/县/县级市) in the table, ordered by adcode."""
    cpca = _cpca()
    adcodes = sorted(
        info.adcode
        for info in cpca.ad_2_addr_dict.values()
        if info.rank == cpca.AddrInfo.RANK_COUNTY and info.name != _DISTRICT_PLACEHOLDER
    )
    return tuple(region_for_adcode(adcode) for adcode in adcodes)


@cache
def provinces() -> tuple[Region, ...]:
    """The 34 province-level regions (省/自治区/直辖市/特别行政区), ordered by adcode."""
    cpca = _cpca()
    adcodes = sorted(
        info.adcode
        for info in cpca.ad_2_addr_dict.values()
        if info.rank == cpca.AddrInfo.RANK_PROVINCE
    )
    return tuple(region_for_adcode(adcode) for adcode in adcodes)
