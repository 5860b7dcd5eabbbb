"""Demo sales for the demo archive: a catalogue, orders with realistic purchase behaviour,
payments with some arrears, and opportunities — generated with NumPy, batch by batch.

What makes the purchases realistic enough for the analytics that read them:
- customers buy at different rates (a Gamma-distributed rate per customer, mean 1);
- some stop buying (a quarter of buyers churn at a random point of their history);
- seasonal peaks (Spring Festival, 618, Double 11, year end): order times are an
  inhomogeneous Poisson process, thinned by the month's weight;
- products are bought together more often than chance: each product may have a partner
  (tea and tea set, diapers and beer…) that follows it on the same order 40% of the time;
- payments follow orders after a few weeks; 6% of customers pay late, partly or never.

Money is computed in integer fen (分) and written as decimal strings: never a float.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

# code, name, category, unit, list price (CNY), partner code ("" if none)
PRODUCTS: list[tuple[str, str, str, str, str, str]] = [
    ("TEA-LJ", "西湖龙井礼盒", "茶叶", "盒", "368.00", "TEA-SET"),
    ("TEA-PE", "云南普洱茶饼", "茶叶", "饼", "198.00", "TEA-SET"),
    ("TEA-TGY", "安溪铁观音", "茶叶", "罐", "128.00", ""),
    ("TEA-BLK", "正山小种红茶", "茶叶", "罐", "158.00", ""),
    ("TEA-SET", "景德镇青花茶具", "茶具", "套", "458.00", "TEA-LJ"),
    ("CUP-GLS", "双层玻璃杯", "茶具", "只", "59.00", ""),
    ("WIN-MT", "贵州茅台飞天53度", "酒水", "瓶", "2699.00", "WIN-GIFT"),
    ("WIN-WLY", "五粮液普五", "酒水", "瓶", "1099.00", "WIN-GIFT"),
    ("WIN-RED", "宁夏贺兰山干红", "酒水", "瓶", "239.00", ""),
    ("BEER-12", "精酿啤酒12瓶装", "酒水", "箱", "139.00", "SNACK"),
    ("WIN-GIFT", "酒类礼品袋", "包装", "个", "19.90", ""),
    ("DIAPER", "婴儿纸尿裤L码", "母婴", "包", "129.00", "BEER-12"),
    ("MILK-3", "婴幼儿配方奶粉3段", "母婴", "罐", "328.00", "DIAPER"),
    ("WIPES", "婴儿湿巾80抽", "母婴", "包", "15.90", ""),
    ("SNACK", "坚果零食大礼包", "食品", "箱", "99.00", ""),
    ("RICE-5", "五常大米5kg", "食品", "袋", "89.00", "OIL-5"),
    ("OIL-5", "压榨花生油5L", "食品", "桶", "119.00", ""),
    ("MOON", "广式月饼礼盒", "食品", "盒", "268.00", "TEA-PE"),
    ("TV-65", "65英寸智能电视", "家电", "台", "4299.00", "WALL-MT"),
    ("WALL-MT", "电视挂架安装服务", "服务", "次", "199.00", ""),
    ("AC-15", "1.5匹变频空调", "家电", "台", "2899.00", "AC-INST"),
    ("AC-INST", "空调安装服务", "服务", "次", "300.00", ""),
    ("FRIDGE", "对开门冰箱", "家电", "台", "3599.00", ""),
    ("PURIFY", "空气净化器", "家电", "台", "1299.00", "FILTER"),
    ("FILTER", "净化器滤芯", "耗材", "个", "199.00", ""),
    ("PRN-A4", "A4复印纸(箱)", "办公", "箱", "168.00", "TONER"),
    ("TONER", "激光打印机硒鼓", "办公", "个", "329.00", ""),
    ("LAPTOP", "商务笔记本电脑", "办公", "台", "5999.00", "MOUSE"),
    ("MOUSE", "无线鼠标", "办公", "个", "89.00", ""),
    ("CHAIR", "人体工学办公椅", "办公", "把", "1299.00", ""),
    ("STEEL-T", "热轧卷板(吨)", "原材料", "吨", "3980.00", "FREIGHT"),
    ("CEMENT", "P.O42.5水泥(吨)", "原材料", "吨", "420.00", "FREIGHT"),
    ("FREIGHT", "物流配送服务", "服务", "次", "800.00", ""),
    ("PVC-PIPE", "PVC管材(米)", "原材料", "米", "12.50", ""),
    ("VALVE", "不锈钢阀门", "零部件", "个", "268.00", ""),
    ("BEARING", "深沟球轴承", "零部件", "套", "45.00", ""),
    ("MAINT", "设备年度维保", "服务", "年", "12000.00", ""),
    ("SAAS", "企业云服务年费", "软件", "年", "19800.00", "TRAIN"),
    ("TRAIN", "上门培训(天)", "服务", "天", "3000.00", ""),
    ("FUND-A", "稳健理财A款", "理财", "份", "10000.00", ""),
    ("FUND-B", "成长混合基金", "理财", "份", "10000.00", ""),
]
FINANCIAL = {"FUND-A": ("1.000", "2.850", "R2"), "FUND-B": ("1.000", "6.200", "R4")}

# Spring Festival (Jan/Feb), 618 (Jun), Double 11 (Nov) and the year end peak.
MONTH_WEIGHT = np.array([1.5, 1.3, 0.8, 0.8, 0.9, 1.4, 0.8, 0.8, 0.9, 1.0, 1.8, 1.4])
PARTNER_RATE = 0.4  # a line with a partner is followed by it this often
EXTRA_LINES = 0.6  # lines per order: 1 + Poisson(0.6), capped
MAX_LINES = 8
CHURN_SHARE = 0.25
LATE_PAYER_SHARE = 0.06
HISTORY_DAYS = 3 * 365
STAGE_WEIGHT = {"lead": 0.0, "prospect": 0.2, "customer": 1.0, "lost": 0.6}
CHANNELS_PERSON = np.array(["store", "online"])
CHANNELS_ORG = np.array(["sales_rep", "distributor"])
PAYMENT_METHODS = np.array(["bank_transfer", "alipay", "wechat", "card", "cash"])


@dataclass(frozen=True)
class Catalogue:
    ids: np.ndarray  # product ids in the database, by index
    price_fen: np.ndarray
    category: np.ndarray  # category index
    partner: np.ndarray  # partner index, -1 if none
    popularity: np.ndarray  # probabilities


def catalogue_from(rows: list[tuple[int, str, str, str]], seed: int) -> Catalogue:
    """``rows``: (id, code, category, list price) of the demo products."""
    codes = [code for _pk, code, _cat, _price in rows]
    categories = sorted({cat for _pk, _code, cat, _price in rows})
    partner_of = {code: partner for code, _n, _c, _u, _p, partner in PRODUCTS}
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(1.5, len(rows)) + 0.2  # a few best sellers, a long tail
    return Catalogue(
        ids=np.array([pk for pk, *_ in rows], dtype=np.int64),
        price_fen=np.array([int(price.replace(".", "")) for *_x, price in rows], dtype=np.int64),
        category=np.array([categories.index(cat) for _pk, _code, cat, _p in rows]),
        partner=np.array(
            [codes.index(partner_of[c]) if partner_of.get(c) in codes else -1 for c in codes]
        ),
        popularity=popularity / popularity.sum(),
    )


@dataclass
class CustomerBatch:
    ids: np.ndarray
    owner: list[int | None]
    team: list[int | None]
    created: np.ndarray  # days since epoch
    stage: list[str]
    is_org: np.ndarray


@dataclass
class SalesRows:
    orders: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    payments: list[tuple[Any, ...]]


def fen_text(values: np.ndarray) -> list[str]:
    """Integer fen as decimal strings ("1234.50")."""
    return [f"{v // 100}.{v % 100:02d}" for v in values.tolist()]


EPOCH = date(1970, 1, 1)


def day_text(days: np.ndarray) -> list[str]:
    cache: dict[int, str] = {}
    out = []
    for d in days.tolist():
        text = cache.get(d)
        if text is None:
            text = cache[d] = (EPOCH + timedelta(days=d)).isoformat()
        out.append(text)
    return out


def generate(
    batch: CustomerBatch,
    *,
    catalogue: Catalogue,
    lines_per_customer: float,
    today: date,
    first_order_id: int,
    rng: np.random.Generator,
) -> SalesRows:
    """Orders, lines and payments of one batch of customers, as rows for the writer."""
    n = len(batch.ids)
    today_day = (today - EPOCH).days
    mean_lines = 1 + EXTRA_LINES
    # --- how many orders: heterogeneous rates, stage, churn, season
    weight = rng.gamma(0.8, 1 / 0.8, n) * np.array([STAGE_WEIGHT.get(s, 1.0) for s in batch.stage])
    total = weight.sum()
    expected = weight * (lines_per_customer * n / mean_lines) / total if total else weight
    start = np.maximum(batch.created, today_day - HISTORY_DAYS)
    end = np.full(n, today_day)
    churn = rng.random(n) < CHURN_SHARE
    span = np.maximum(end - start, 1)
    end = np.where(churn, start + (span * rng.uniform(0.2, 0.9, n)).astype(np.int64), end)
    span = np.maximum(end - start, 1)
    # thinning: candidates at the peak rate, each kept with the month's weight / the peak
    peak = MONTH_WEIGHT.max() / MONTH_WEIGHT.mean()
    candidates = rng.poisson(expected * peak)
    owner_of = np.repeat(np.arange(n), candidates)
    day = start[owner_of] + (rng.random(len(owner_of)) * span[owner_of]).astype(np.int64)
    month = (np.datetime64("1970-01-01") + day.astype("timedelta64[D]")).astype("datetime64[M]")
    month_index = month.astype(np.int64) % 12
    keep = rng.random(len(day)) < MONTH_WEIGHT[month_index] / MONTH_WEIGHT.max()
    owner_of, day = owner_of[keep], day[keep]
    order_sort = np.lexsort((day, owner_of))
    owner_of, day = owner_of[order_sort], day[order_sort]
    n_orders = len(day)
    order_ids = np.arange(first_order_id, first_order_id + n_orders, dtype=np.int64)
    # --- lines: first product by the customer's favourite category or popularity, then
    # partners or more picks
    k = np.minimum(1 + rng.poisson(EXTRA_LINES, n_orders), MAX_LINES)
    line_order = np.repeat(np.arange(n_orders), k)
    position = np.arange(len(line_order)) - np.repeat(np.cumsum(k) - k, k)
    products = rng.choice(len(catalogue.ids), size=len(line_order), p=catalogue.popularity)
    favourite = rng.integers(0, catalogue.category.max() + 1, n)
    by_category = [np.flatnonzero(catalogue.category == c) for c in range(favourite.max() + 1)]
    first = np.flatnonzero(position == 0)
    fav_pick = rng.random(len(first)) < 0.5
    for c, members in enumerate(by_category):
        if len(members) == 0:
            continue
        chosen = first[fav_pick & (favourite[owner_of[line_order[first]]] == c)]
        products[chosen] = rng.choice(members, size=len(chosen))
    for p in range(1, int(k.max()) if n_orders else 1):
        at = np.flatnonzero(position == p)
        previous = products[at - 1]
        partner = catalogue.partner[previous]
        follow = (partner >= 0) & (rng.random(len(at)) < PARTNER_RATE)
        products[at[follow]] = partner[follow]
    quantity = 1 + rng.poisson(0.5, len(line_order))
    quantity = np.where(
        batch.is_org[owner_of[line_order]],
        quantity * rng.integers(1, 20, len(line_order)),
        quantity,
    )
    discount = rng.choice(np.array([0, 0, 0, 5, 10, 20]), size=len(line_order))
    price = catalogue.price_fen[products]
    amount = (quantity * price * (100 - discount) + 50) // 100  # half up, in fen
    totals = np.zeros(n_orders, dtype=np.int64)
    np.add.at(totals, line_order, amount)
    # --- payments: after a few weeks; late payers pay partly or not at all
    late_payer = rng.random(n) < LATE_PAYER_SHARE
    late = late_payer[owner_of]
    lag = rng.exponential(np.where(late, 90, 15)).astype(np.int64)
    paid_day = day + lag
    share = np.where(
        late,
        rng.choice(np.array([0, 30, 50, 100]), size=n_orders),
        rng.choice(np.array([100] * 18 + [50, 0]), size=n_orders),
    )
    pays = (paid_day <= today_day) & (share > 0)
    paid = np.where(pays, totals * share // 100, 0)
    pays &= paid > 0
    # --- rows
    ids_list = order_ids.tolist()
    customer_ids = batch.ids[owner_of].tolist()
    owner = [batch.owner[i] for i in owner_of.tolist()]
    team = [batch.team[i] for i in owner_of.tolist()]
    org = batch.is_org[owner_of]
    channel = np.where(
        org,
        CHANNELS_ORG[rng.integers(0, 2, n_orders)],
        CHANNELS_PERSON[rng.integers(0, 2, n_orders)],
    ).tolist()
    status = np.where(day < today_day - 14, "delivered", "confirmed").tolist()
    first_order = np.r_[True, owner_of[1:] != owner_of[:-1]] if n_orders else np.zeros(0, bool)
    is_first = first_order.tolist()
    days = day_text(day)
    stamps = [f"{d} 04:00:00" for d in days]
    total_text, paid_text = fen_text(totals), fen_text(paid)
    orders = [
        (oid, stamps[i], stamps[i], f"SO{oid:09d}", customer_ids[i], days[i], channel[i],
         status[i], owner[i], team[i], "CNY", total_text[i], paid_text[i], is_first[i], None,
         "")
        for i, oid in enumerate(ids_list)
    ]  # fmt: skip
    line_rows = list(
        zip(
            order_ids[line_order].tolist(),
            catalogue.ids[products].tolist(),
            [f"{q}.000" for q in quantity.tolist()],
            fen_text(price),
            [f"{d}.00" for d in discount.tolist()],
            fen_text(amount),
            strict=True,
        )
    )
    payer = np.flatnonzero(pays)
    methods = PAYMENT_METHODS[rng.integers(0, len(PAYMENT_METHODS), len(payer))].tolist()
    paid_days = day_text(np.minimum(paid_day[payer], today_day))
    pay_amounts = fen_text(paid[payer])
    payments = [
        (f"{paid_days[j]} 04:00:00", f"{paid_days[j]} 04:00:00", ids_list[i], customer_ids[i],
         pay_amounts[j], "CNY", paid_days[j], methods[j], "", None, owner[i], team[i])
        for j, i in enumerate(payer.tolist())
    ]  # fmt: skip
    return SalesRows(orders=orders, lines=line_rows, payments=payments)


def batches_of(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
