"""Festival dates for a year: Gregorian ones as they are, lunar ones (春节, 元宵, 端午, 中秋…)
and solar terms (清明) computed with ``lunar-python`` (6tail's calendar library), never from a
hand-kept table."""

from datetime import date

from lunar_python import Lunar

from kehu.loyalty.models import Festival


def _solar(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29 February in a common year
        return date(year, month, 28)


def _lunar(year: int, month: int, day: int) -> date:
    """The Gregorian date of lunar ``month``/``day`` of lunar ``year``; the 30th of a short
    month (除夕 in a year whose twelfth month has 29 days) is its last day."""
    for d in (day, day - 1):
        try:
            solar = Lunar.fromYmd(year, month, d).getSolar()
        except Exception:  # noqa: S112 (the library raises a bare Exception)
            continue
        return date(solar.getYear(), solar.getMonth(), solar.getDay())
    raise ValueError(f"no lunar date {year}-{month}-{day}")


def _term(year: int, name: str) -> date:
    for lunar_year in (year, year - 1, year + 1):
        table = Lunar.fromYmd(lunar_year, 1, 1).getJieQiTable()
        solar = table.get(name)
        if solar is not None and solar.getYear() == year:
            return date(solar.getYear(), solar.getMonth(), solar.getDay())
    raise ValueError(f"no solar term {name} in {year}")


def festival_date(festival: Festival, year: int) -> date:
    """The day ``festival`` falls on in ``year`` (for a lunar festival: in lunar ``year``)."""
    if festival.calendar == Festival.Calendar.LUNAR:
        return _lunar(year, festival.month, festival.day)
    if festival.calendar == Festival.Calendar.SOLAR_TERM:
        return _term(year, festival.term)
    return _solar(year, festival.month, festival.day)


def festivals_between(start: date, end: date) -> list[tuple[Festival, date]]:
    """Active festivals falling from ``start`` to ``end`` (inclusive), by date."""
    found = []
    for festival in Festival.objects.filter(is_active=True):
        for year in range(start.year - 1, end.year + 1):
            try:
                day = festival_date(festival, year)
            except ValueError:
                continue
            if start <= day <= end:
                found.append((festival, day))
    return sorted(found, key=lambda pair: (pair[1], pair[0].pk))
