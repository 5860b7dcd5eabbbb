"""Realistic import files for tests and ``bench/import.py``: Chinese names, valid mobiles and
ID numbers (the demo generators), addresses, some invalid rows and some repeated customers."""

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from kehu.core.idcard import make_id_number
from kehu.demo.customers import STREETS, _districts, _place, mobile_number, person_name

HEADER = ["姓名", "手机", "身份证号", "性别", "邮箱", "地址", "工作单位", "备注"]


def sample_rows(
    count: int, *, seed: int = 1, invalid_every: int = 50, repeat_every: int = 100
) -> Iterator[list[str]]:
    """``count`` data rows: every ``invalid_every``-th has a bad phone, every
    ``repeat_every``-th repeats an earlier row's ID number and phone (a duplicate)."""
    rng = random.Random(seed)  # noqa: S311 (sample data, not secrets)
    regions, pick = _districts()
    today = date(2026, 1, 1)
    issued: set[str] = set()
    earlier: list[list[str]] = []
    for n in range(1, count + 1):
        if repeat_every and n % repeat_every == 0 and earlier:
            yield list(rng.choice(earlier))
            continue
        region = regions[pick(rng)]
        gender = "male" if rng.random() < 0.5 else "female"
        birth = today - timedelta(days=rng.randrange(18 * 365, 80 * 365))
        while True:
            number = make_id_number(
                region_code=region.adcode,
                birth_date=birth,
                sequence=rng.randrange(500),
                gender=gender,
            )
            if number not in issued:
                issued.add(number)
                break
        phone = mobile_number(rng)[3:]
        if invalid_every and n % invalid_every == 0:
            phone = phone[:7]
        row = [
            person_name(rng, gender),
            phone,
            number,
            "男" if gender == "male" else "女",
            f"u{n}@example.com" if rng.random() < 0.3 else "",
            _place(region) + f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            "",
            "",
        ]
        if len(earlier) < 1000:
            earlier.append(row)
        yield row


def write_sample_csv(path: Path, count: int, **options: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(sample_rows(count, **options))
    return path
