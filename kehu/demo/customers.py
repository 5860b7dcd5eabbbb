# Over 500 lines: most of it is the generator's tables (names, places, employers, products),
# data rather than logic.
"""Chinese sample customers for demos and benchmarks: generated, never downloaded.

Pure generation: ``generate_customers`` turns a seed into ``DemoCustomer`` records (names with
realistic surname frequencies, valid mobile and landline numbers, ID numbers that agree with the
birth date, gender and district of the address, unique credit codes, profiles, contacts, tags and
a history of changes from direct and indirect channels). Nothing here touches the database;
``kehu.demo.customers_load`` writes the records.
"""

import random
from bisect import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError

from kehu.core.creditcode import CHARSET, make_credit_code
from kehu.core.idcard import make_id_number
from kehu.core.phones import normalize_phone
from kehu.core.regions import Region, region_rows

# --- word lists -------------------------------------------------------------------------------

# The most common surnames with their approximate share of the population in per mille (公安部
# 2020 household-registration figures, rounded); together about 87% of people.
SURNAME_WEIGHTS = {
    "王": 71, "李": 70, "张": 65, "刘": 54, "陈": 46, "杨": 31, "黄": 25, "赵": 23, "吴": 21,
    "周": 20, "徐": 17, "孙": 15, "马": 15, "朱": 13, "胡": 13, "郭": 12, "何": 12, "林": 11,
    "高": 11, "罗": 11, "郑": 10, "梁": 10, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 6,
    "冯": 6, "邓": 6, "曹": 6, "彭": 6, "曾": 5, "肖": 5, "田": 5, "董": 5, "袁": 5, "潘": 4,
    "于": 4, "蒋": 4, "蔡": 4, "余": 4, "杜": 4, "叶": 4, "程": 4, "苏": 4, "魏": 4, "吕": 4,
    "丁": 4, "任": 3, "沈": 3, "姚": 3, "卢": 3, "姜": 3, "崔": 3, "钟": 3, "谭": 3, "陆": 3,
    "汪": 3, "范": 3, "金": 3, "石": 3, "廖": 3, "贾": 3, "夏": 3, "韦": 3, "付": 3, "方": 3,
    "白": 2, "邹": 2, "孟": 2, "熊": 2, "秦": 2, "邱": 2, "江": 2, "尹": 2, "薛": 2, "闫": 2,
    "段": 2, "雷": 2, "侯": 2, "龙": 2, "史": 2, "陶": 2, "黎": 2, "贺": 2, "顾": 2, "毛": 2,
    "郝": 2, "龚": 2, "邵": 2, "万": 2, "钱": 2, "严": 2, "覃": 1, "武": 2, "戴": 2, "莫": 1,
    "孔": 1, "向": 1, "汤": 1, "常": 1, "温": 1, "康": 1, "施": 1, "文": 1, "牛": 1, "樊": 1,
    "葛": 1, "邢": 1, "安": 1, "齐": 1, "易": 1, "乔": 1, "伍": 1, "庞": 1, "颜": 1, "倪": 1,
    "庄": 1, "聂": 1, "章": 1, "鲁": 1, "岳": 1, "翟": 1, "殷": 1, "詹": 1, "申": 1, "欧阳": 1,
    "耿": 1, "关": 1, "兰": 1, "焦": 1, "俞": 1, "左": 1, "柳": 1, "甘": 1, "祝": 1, "包": 1,
    "宁": 1, "尚": 1, "符": 1, "舒": 1, "阮": 1, "柯": 1, "纪": 1, "梅": 1, "童": 1, "凌": 1,
    "毕": 1, "单": 1, "季": 1, "裴": 1, "霍": 1, "涂": 1, "成": 1, "苗": 1, "谷": 1, "盛": 1,
    "曲": 1, "翁": 1, "冉": 1, "骆": 1, "蓝": 1, "路": 1, "游": 1, "辛": 1, "靳": 1, "司马": 1,
    "诸葛": 1, "上官": 1,
}  # fmt: skip
MALE_GIVEN = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳峰建国志文博轩然晨瑞睿泽"
    "子梓宸皓嘉诚昊天毅航亮成栋翔海东力彬"
)
FEMALE_GIVEN = (
    "芳娜敏静丽艳娟秀霞桂英玉兰萍红梅琳燕慧婷雪倩颖洁琴云莉欣怡涵萱雨诗佳梦思悦可馨月晶玲"
    "丹薇蕾瑶琪妍淑彤"
)

# Population of the provinces in millions (2020 census): where customers live.
PROVINCE_POPULATION = {
    "11": 21.9, "12": 13.9, "13": 74.6, "14": 34.9, "15": 24.0, "21": 42.6, "22": 24.1,
    "23": 31.9, "31": 24.9, "32": 84.7, "33": 64.6, "34": 61.0, "35": 41.5, "36": 45.2,
    "37": 101.5, "41": 99.4, "42": 57.8, "43": 66.4, "44": 126.0, "45": 50.1, "46": 10.1,
    "50": 32.1, "51": 83.7, "52": 38.6, "53": 47.2, "54": 3.6, "61": 39.5, "62": 25.0,
    "63": 5.9, "64": 7.2, "65": 25.9,
}  # fmt: skip
# Area codes of the larger cities, for company landlines (other companies list no landline).
AREA_CODES = {
    "北京市": "10", "上海市": "21", "天津市": "22", "重庆市": "23", "广州市": "20",
    "深圳市": "755", "杭州市": "571", "南京市": "25", "武汉市": "27", "成都市": "28",
    "西安市": "29", "沈阳市": "24", "苏州市": "512", "宁波市": "574", "青岛市": "532",
    "福州市": "591", "长沙市": "731", "郑州市": "371", "济南市": "531", "合肥市": "551",
"东莞市": "769", "佛山市": "757", "无锡市": "510", "大连市": "411",
}  # fmt: skip
# Mobile prefixes of China Mobile, Unicom, Telecom and Broadnet, weighted by how common.
MOBILE_PREFIXES = {
    "139": 6, "138": 6, "137": 5, "136": 5, "135": 5, "134": 3, "133": 3, "132": 3, "131": 3,
    "130": 3, "150": 3, "151": 3, "152": 3, "153": 2, "155": 2, "156": 2, "157": 2, "158": 3,
    "159": 3, "180": 2, "181": 2, "182": 3, "183": 2, "184": 1, "185": 2, "186": 3, "187": 3,
    "188": 3, "189": 3, "147": 1, "166": 1, "173": 1, "175": 1, "176": 1, "177": 2, "178": 1,
    "191": 1, "193": 1, "195": 1, "198": 2, "199": 2, "192": 1,
}  # fmt: skip

STREETS = (
    "人民路 解放路 中山路 建设路 和平路 胜利路 新华路 文化路 朝阳路 长江路 黄河路 东风路 "
    "光明路 青年路 幸福路 迎宾大道 滨江路 学府路 工业路 科技路 南京路 北京路 花园路 府前街 "
    "环城西路 环城东路 世纪大道 金融街 园区大道 站前路 体育路 文昌路 新城大道 民主路"
).split()
COMMUNITIES = (
    "阳光花园 锦绣家园 翠苑小区 幸福里 金色家园 碧桂园 万科城 绿城花园 东方名苑 和谐家园 "
    "香樟苑 紫荆花园 滨江花园 世纪新城 恒大名都 龙湖春江 保利花园 桂花苑 新村 丽景湾"
).split()
TOWERS = "国际大厦 中心大厦 商务大厦 科技大厦 金融中心 创业园 产业园 广场 商务中心".split()
TRADES = (
    ("宏达", "hongda"), ("鑫源", "xinyuan"), ("华泰", "huatai"), ("永盛", "yongsheng"),
    ("恒通", "hengtong"), ("金瑞", "jinrui"), ("中科", "zhongke"), ("天诚", "tiancheng"),
    ("博远", "boyuan"), ("嘉禾", "jiahe"), ("润丰", "runfeng"), ("新锐", "xinrui"),
    ("星辰", "xingchen"), ("汇通", "huitong"), ("联创", "lianchuang"), ("正邦", "zhengbang"),
    ("东方", "dongfang"), ("远航", "yuanhang"), ("协力", "xieli"), ("明辉", "minghui"),
    ("海川", "haichuan"), ("百盛", "baisheng"), ("瑞丰", "ruifeng"), ("德隆", "delong"),
    ("鼎信", "dingxin"), ("安泰", "antai"), ("合众", "hezhong"), ("同创", "tongchuang"),
)  # fmt: skip
# industry (行业), the word in company names, business scope
INDUSTRIES = (
    ("制造业", "机械", "机械设备、零部件的研发、生产与销售"),
    ("制造业", "电子", "电子元器件、电子产品的生产与销售"),
    ("批发和零售业", "贸易", "日用百货、五金交电、建筑材料的批发与零售"),
    ("批发和零售业", "商贸", "食品、饮料、酒类的批发与零售"),
    ("食品制造业", "食品", "食品的生产、加工与销售"),
    ("化学原料和化学制品制造业", "化工", "化工产品（不含危险化学品）的销售"),
    ("交通运输、仓储和邮政业", "物流", "普通货运、仓储服务、货运代理"),
    ("纺织服装业", "服饰", "服装、鞋帽、纺织品的设计、生产与销售"),
    ("医药制造业", "医药", "药品、医疗器械的研发与销售"),
    ("建筑业", "建设", "房屋建筑工程、市政工程施工"),
    ("建材", "建材", "建筑材料、装饰材料的生产与销售"),
    ("信息传输、软件和信息技术服务业", "科技", "软件开发、信息系统集成、技术服务"),
    ("信息传输、软件和信息技术服务业", "网络", "互联网信息服务、网络技术开发"),
    ("住宿和餐饮业", "餐饮", "餐饮服务、餐饮管理"),
    ("房地产业", "置业", "房地产开发经营、物业管理"),
    ("农、林、牧、渔业", "农业", "农产品的种植、收购与销售"),
    ("教育", "教育", "教育咨询、职业技能培训"),
    ("租赁和商务服务业", "咨询", "企业管理咨询、市场营销策划"),
)
COMPANY_SUFFIXES = (("有限公司", 6), ("股份有限公司", 2), ("有限责任公司", 2), ("集团有限公司", 1))
OWNERSHIP_TYPES = (
    ("有限责任公司（自然人投资或控股）", 10), ("股份有限公司", 3), ("国有企业", 1),
    ("外商独资企业", 1), ("中外合资经营企业", 1), ("个人独资企业", 2), ("集体所有制企业", 1),
)  # fmt: skip
# size band, its weight, revenue bands (年营业收入) it goes with, registered capital (万元)
SIZES = (
    ("微型（10人以下）", 25, ("100万元以下", "100万–500万元"), (10, 100)),
    ("小型（10–99人）", 45, ("100万–500万元", "500万–2000万元", "2000万–1亿元"), (50, 1000)),
    ("中型（100–999人）", 22, ("2000万–1亿元", "1亿–4亿元"), (500, 5000)),
    ("大型（1000人以上）", 8, ("4亿–10亿元", "10亿元以上"), (5000, 100000)),
)
CREDIT_RATINGS = (("AAA", 5), ("AA", 15), ("A", 30), ("BBB", 25), ("BB", 15), ("B", 7), ("C", 3))
TRENDS = (("增长", 4), ("平稳", 5), ("下滑", 2))
STRENGTHS = ("价格优势明显", "技术领先", "渠道覆盖广", "品牌知名度高", "服务响应快")
MARKET_CAPACITY = ("本地市场为主", "覆盖全省", "辐射华东地区", "全国市场", "出口为主")

PRODUCTS = (
    "理财产品 家电 手机数码 母婴用品 白酒 茶叶 保健品 汽车 家具 服装 化妆品 图书 "
    "运动户外 珠宝首饰 办公用品 生鲜食品 保险 旅游度假 教育培训 家装建材"
).split()
BUY_CHANNELS = ("门店", "线上商城", "微信小程序", "电话订购", "客户经理上门", "展会现场")
PURCHASE_STYLES = ("理性比价", "品牌忠诚", "冲动消费", "注重服务", "注重性价比", "集中采购")
CAREER_ATTITUDES = ("积极进取", "稳定为主", "考虑创业", "即将退休", "注重工作与生活平衡")
POSITIONS = (
    ("工程师", 8), ("教师", 5), ("医生", 3), ("护士", 3), ("会计", 5), ("销售经理", 6),
    ("部门经理", 5), ("总经理", 2), ("行政主管", 3), ("公务员", 4), ("设计师", 3),
    ("程序员", 5), ("律师", 1), ("财务总监", 1), ("店长", 3), ("个体经营者", 6), ("职员", 10),
    ("技术员", 4), ("司机", 2), ("退休", 4),
)  # fmt: skip
EMPLOYER_PATTERNS = (
    "{city}第一人民医院", "{city}第三中学", "中国银行{city}分行", "国家电网{province}电力公司",
    "中国移动{province}分公司", "{city}市税务局", "{city}公交集团", "{city}实验小学",
)  # fmt: skip
DEGREES = (
    ("初中", 8),
    ("高中", 12),
    ("中专", 8),
    ("大专", 20),
    ("本科", 38),
    ("硕士", 11),
    ("博士", 3),
)
MAJORS = (
    "计算机科学与技术 会计学 市场营销 工商管理 临床医学 机械工程 汉语言文学 法学 金融学 "
    "电子信息工程 土木工程 英语 护理学 国际经济与贸易 软件工程 财务管理"
).split()
UNIVERSITIES = (
    "北京大学 清华大学 复旦大学 浙江大学 上海交通大学 南京大学 武汉大学 中山大学 四川大学 "
    "华中科技大学 山东大学 西安交通大学 哈尔滨工业大学 厦门大学 同济大学 湖南大学 重庆大学 "
    "郑州大学 苏州大学 深圳大学 南昌大学 广西大学 云南大学 河北大学"
).split()
INCOME_BANDS = (
    ("月收入5000元以下", 25), ("月收入5000–10000元", 35), ("月收入1万–2万元", 25),
    ("月收入2万–5万元", 12), ("月收入5万元以上", 3),
)  # fmt: skip
CHILDREN = (
    ("无", 3),
    ("1个儿子", 4),
    ("1个女儿", 4),
    ("1儿1女", 3),
    ("2个儿子", 1),
    ("2个女儿", 1),
)
EMAIL_DOMAINS = (("qq.com", 5), ("163.com", 3), ("126.com", 1), ("sina.com", 1), ("139.com", 1))

TAGS = (
    "VIP 老客户 价格敏感 重点跟进 潜在大客户 节日问候 欠款风险 转介绍 线上活跃 展会获客 "
    "政府采购 长期合作 流失预警 团购 新品试用"
).split()
CONTACT_ROLES = (
    ("purchaser", ("采购经理", "采购专员", "采购主管")),
    ("finance", ("财务经理", "会计", "财务总监")),
    ("user", ("技术主管", "车间主任", "项目经理")),
    ("other", ("行政助理", "办公室主任", "总经理助理")),
)
DECISION_TITLES = ("总经理", "董事长", "副总经理", "执行董事")

STAGES = (("lead", 30), ("prospect", 20), ("customer", 40), ("lost", 10))
GRADES = (("important", 4), ("special", 8), ("general", 88))
# Where customers came from (source channel): mostly direct contact, some bought or found.
SOURCE_CHANNELS = (
    ("direct_entry", 12), ("consultation", 8), ("after_sales", 2), ("complaint", 1),
    ("survey", 3), ("marketing_event", 8), ("membership_form", 8), ("exhibition", 6),
    ("website", 10), ("call_center", 8), ("visit", 10), ("media", 2), ("business_registry", 4),
    ("consultancy", 2), ("purchased_list", 5), ("rented_list", 2), ("partner", 3),
)  # fmt: skip
# The channels that plausibly bring each kind of later update.
UPDATE_CHANNELS = {
    "contact": ("call_center", "after_sales", "website", "visit", "membership_form",
                "consultation"),
    "private": ("survey", "membership_form", "visit", "marketing_event"),
    "company": ("business_registry", "media", "consultancy", "visit", "partner", "exhibition"),
    "sales": ("visit", "direct_entry", "marketing_event", "exhibition", "call_center"),
}  # fmt: skip
PUBLIC_POOL_SHARE = 0.08
ARCHIVED_SHARE = 0.005
ORGANIZATION_SHARE = 0.25
HISTORY_DAYS = 730

# The demo accounts' password when KEHU_DEMO_PASSWORD is not set; published in the README.
DEMO_PASSWORD_DEFAULT = "kehu-demo-2026"  # noqa: S105


# --- records ----------------------------------------------------------------------------------


@dataclass(slots=True)
class DemoChange:
    """One history entry; ``by`` is a username or None (the system)."""

    field: str
    old: str
    new: str
    at: datetime
    channel: str | None
    by: str | None
    sensitive: bool = False
    note: str = ""


@dataclass(slots=True)
class DemoContact:
    name: str
    role: str
    title: str
    birthday: date | None
    phones: list[str]
    emails: list[str]


@dataclass(slots=True)
class DemoCustomer:
    name: str
    kind: str
    lifecycle_stage: str
    grade: str
    status: str
    owner: str | None  # username
    source_channel: str
    region: Region
    address: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    shared_with: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # E.164
    emails: list[str] = field(default_factory=list)
    person: dict[str, Any] | None = None  # PersonProfile field values (clear text)
    organization: dict[str, Any] | None = None  # OrganizationProfile field values
    contacts: list[DemoContact] = field(default_factory=list)
    changes: list[DemoChange] = field(default_factory=list)


@dataclass(frozen=True)
class DemoStaff:
    """Usernames of the demo users who own customers and record what channels bring in."""

    owners: Sequence[str]  # sales reps, weighted by position (the first gets most)
    service: str | None = None  # call center, after-sales, complaints
    marketing: str | None = None  # events, exhibitions, surveys, website, media
    archive: str | None = None  # lists, registry, consultancies, partners


# --- the generator ----------------------------------------------------------------------------


T = TypeVar("T")


class _Weighted(Generic[T]):
    """Fast repeated weighted choice (one ``random()`` and a bisection per draw)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]] | Mapping[T, float]) -> None:
        items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
        self.items = [item for item, _weight in items]
        self.cum = list(accumulate(weight for _item, weight in items))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.total)]


@cache
def _districts() -> tuple[list[Region], _Weighted[int]]:
    """Districts where people live, weighted by province population, urban districts double."""
    rows = [
        r for r in region_rows() if "直辖县级" not in r.city and r.adcode[:2] in PROVINCE_POPULATION
    ]
    per_province: dict[str, int] = {}
    for row in rows:
        per_province[row.adcode[:2]] = per_province.get(row.adcode[:2], 0) + 1
    weights = [
        PROVINCE_POPULATION[r.adcode[:2]]
        / per_province[r.adcode[:2]]
        * (2 if r.district.endswith("区") else 1)
        for r in rows
    ]
    return rows, _Weighted(list(zip(range(len(rows)), weights, strict=True)))


_SURNAME = _Weighted(SURNAME_WEIGHTS)
_MOBILE = _Weighted(MOBILE_PREFIXES)
_SUFFIX = _Weighted(COMPANY_SUFFIXES)
_OWNERSHIP = _Weighted(OWNERSHIP_TYPES)
_SIZE = _Weighted([(size, size[1]) for size in SIZES])
_RATING = _Weighted(CREDIT_RATINGS)
_TREND = _Weighted(TRENDS)
_POSITION = _Weighted(POSITIONS)
_DEGREE = _Weighted(DEGREES)
_INCOME = _Weighted(INCOME_BANDS)
_CHILDREN = _Weighted(CHILDREN)
_EMAIL_DOMAIN = _Weighted(EMAIL_DOMAINS)
_STAGE = _Weighted(STAGES)
_GRADE = _Weighted(GRADES)
_SOURCE = _Weighted(SOURCE_CHANNELS)
_UPDATES = _Weighted(((0, 15), (1, 35), (2, 30), (3, 15), (4, 5)))
# Credit code sequences: a multiplier coprime to 31 spreads consecutive ids over the code space.
_CODE_SPACE = len(CHARSET) ** 6
_CODE_STRIDE = 104_729


def person_name(rng: random.Random, gender: str = "") -> str:
    pool = FEMALE_GIVEN if (gender or rng.choice("mf")) in ("female", "f") else MALE_GIVEN
    given = rng.choice(pool) if rng.random() < 0.2 else rng.choice(pool) + rng.choice(pool)
    return _SURNAME(rng) + given


def mobile_number(rng: random.Random, province: str = "") -> str:
    """A mainland mobile number in E.164 form, with a real operator prefix; given a province,
    most (``LOCAL_MOBILE_SHARE``) are numbers of that province, as most people's are."""
    local = _local_mobiles().get(province[:2]) if province else None
    if local is not None and rng.random() < LOCAL_MOBILE_SHARE:
        operator = local[0](rng)
        return f"+86{operator}{rng.choice(local[1][operator])}{rng.randrange(10**4):04d}"
    return f"+86{_MOBILE(rng)}{rng.randrange(10**8):08d}"


# Share of a customer's mobiles that belong to the province they live in; the others came with
# them from elsewhere (or are of operators without a home area, like 16x and 19x).
LOCAL_MOBILE_SHARE = 0.95


@cache
def _local_mobiles() -> dict[str, tuple[_Weighted[str], dict[str, list[str]]]]:
    """Province key (its first two characters, as ``kehu.quality.metrics`` compares them) →
    operators weighted as in ``MOBILE_PREFIXES`` and, per operator, the next four digits of
    the 7-digit blocks ``phonenumbers``' offline geocoding data places in that province.

    Built once (about a second: the geocoding data is loaded and read, one validity check per
    5-digit prefix); drawing a number from it is then a bisection and a ``choice``.
    """
    from phonenumbers.geodata import GEOCODE_DATA

    provinces = {region.province[:2] for region in _districts()[0]}
    blocks: dict[str, dict[str, list[str]]] = {}

    def walk(prefix: str, names: dict[str, str], operator: str) -> None:
        # The geocoder names a number after the longest prefix it has data for: walk down the
        # digits, each level inheriting the name above unless it has its own.
        names = GEOCODE_DATA.get(prefix, names)
        if len(prefix) == 7 and not _is_valid_mobile(f"+{prefix}000000"):
            return  # validity is decided on these first five digits
        if len(prefix) < 9:
            for digit in "0123456789":
                walk(prefix + digit, names, operator)
            return
        province = names.get("zh", "")[:2]
        if province in provinces:
            blocks.setdefault(province, {}).setdefault(operator, []).append(prefix[5:])

    for operator in MOBILE_PREFIXES:
        walk(f"86{operator}", {}, operator)
    return {
        province: (
            _Weighted([(operator, MOBILE_PREFIXES[operator]) for operator in sorted(operators)]),
            operators,
        )
        for province, operators in blocks.items()
    }


def _is_valid_mobile(e164: str) -> bool:
    # phonenumbers decides a mainland mobile's validity on its first five digits.
    try:
        return normalize_phone(e164) == e164
    except ValidationError:
        return False


def landline_number(rng: random.Random, area_code: str) -> str:
    """A landline in E.164 form: the area code and 8 digits, as in the larger cities now."""
    return f"+86{area_code}{rng.randint(2, 6)}{rng.randrange(10**7):07d}"


def _place(region: Region) -> str:
    """Province, city and district as written in an address (a municipality named once)."""
    if region.city == region.province:
        return region.province + region.district
    return region.province + region.city + region.district


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max((end - start).total_seconds(), 1.0)
    return start + timedelta(seconds=rng.random() * seconds)


class _Generator:
    def __init__(self, *, seed: int, first_id: int, staff: DemoStaff, now: datetime) -> None:
        # A string seed is hashed with SHA-512: stable across runs and Python versions.
        self.rng = random.Random(f"kehu-demo:{seed}:{first_id}")  # noqa: S311 (sample data)
        self.staff = staff
        self.now = now
        self.today = now.date()
        self.issued_ids: set[int] = set()
        self.regions, self.region = _districts()
        self.owner = _Weighted([(u, len(staff.owners) - i + 2) for i, u in enumerate(staff.owners)])

    # who records what a channel brings in
    def _recorder(self, channel: str, owner: str | None) -> str | None:
        staff = self.staff
        if channel in {"call_center", "after_sales", "complaint", "consultation"}:
            return staff.service or owner
        if channel in {"marketing_event", "exhibition", "survey", "website", "media"}:
            return staff.marketing or owner
        if channel in {
            "purchased_list",
            "rented_list",
            "business_registry",
            "consultancy",
            "partner",
        }:
            return staff.archive or owner
        return owner or staff.archive

    def customer(self, customer_id: int, created_at: datetime) -> DemoCustomer:
        rng = self.rng
        region = self.regions[self.region(rng)]
        is_org = rng.random() < ORGANIZATION_SHARE
        status = "active"
        owner: str | None = self.owner(rng) if self.staff.owners else None
        roll = rng.random()
        pooled = roll < PUBLIC_POOL_SHARE or owner is None
        if pooled:
            status = "public_pool"
        elif roll < PUBLIC_POOL_SHARE + ARCHIVED_SHARE:
            status = "archived"
        source = _SOURCE(rng)
        if is_org and rng.random() < 0.3:
            source = "business_registry"
        record = DemoCustomer(
            name="",
            kind="organization" if is_org else "person",
            lifecycle_stage=_STAGE(rng),
            grade=_GRADE(rng),
            status=status,
            owner=owner,
            source_channel=source,
            region=region,
            address="",
            created_at=created_at,
            updated_at=created_at,
        )
        if is_org:
            self._organization(record, customer_id)
        else:
            self._person(record)
        if rng.random() < 0.55:
            record.tags = rng.sample(TAGS, rng.choice((1, 1, 2, 3)))
        if owner and rng.random() < 0.02 and len(self.staff.owners) > 1:
            record.shared_with = [rng.choice([u for u in self.staff.owners if u != owner])]
        self._history(record)
        if pooled:
            record.owner = None
        return record

    # --- people

    def _person(self, record: DemoCustomer) -> None:
        rng = self.rng
        region = record.region
        gender = "male" if rng.random() < 0.51 else "female"
        age = int(rng.triangular(18, 80, 36))
        birth = self.today - timedelta(days=age * 365 + rng.randrange(365))
        record.name = person_name(rng, gender)
        while True:
            number = make_id_number(
                region_code=region.adcode,
                birth_date=birth,
                sequence=rng.randrange(500),
                gender=gender,
            )
            key = int(number[:17])
            if key not in self.issued_ids:
                self.issued_ids.add(key)
                break
        street = f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        record.address = _place(region) + street
        home = (
            f"{_place(region)}{street}{rng.choice(COMMUNITIES)}{rng.randint(1, 30)}栋"
            f"{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
        )
        record.phones = [mobile_number(rng, region.province)] if rng.random() < 0.93 else []
        if record.phones and rng.random() < 0.12:
            record.phones.append(mobile_number(rng, region.province))
        if rng.random() < 0.35:
            handle = (
                str(rng.randrange(10**5, 10**10))
                if rng.random() < 0.5
                else f"kh{rng.randrange(10**7)}"
            )
            record.emails = [f"{handle}@{_EMAIL_DOMAIN(rng)}"]
        height = int(rng.gauss(172, 6) if gender == "male" else rng.gauss(160, 5))
        married = age > 22 and rng.random() < min(0.9, (age - 20) / 12)
        position = _POSITION(rng)
        if age >= 62:
            position = "退休"
        degree = _DEGREE(rng)
        college = degree in {"大专", "本科", "硕士", "博士"}
        some = rng.random  # some(): a draw for whether an optional fact is known
        native_city = region.city if region.city != region.province else ""
        weight = int(rng.gauss(23, 3) * (height / 100) ** 2)
        products = "、".join(rng.sample(PRODUCTS, rng.randint(1, 3)))
        channels = "、".join(rng.sample(BUY_CHANNELS, rng.randint(1, 2)))
        working = position != "退休"
        profile: dict[str, Any] = {
            "gender": gender,
            "birth_date": birth,
            "id_number": number,
            "household_registration": _place(region),
            "native_place": region.province + native_city,
            "height_cm": height if some() < 0.3 else None,
            "weight_kg": weight if some() < 0.25 else None,
            "home_address": home if some() < 0.7 else "",
            "preferred_products": products if some() < 0.6 else "",
            "preferred_channels": channels if some() < 0.5 else "",
            "purchase_style": rng.choice(PURCHASE_STYLES) if some() < 0.4 else "",
            "employer": self._employer(region) if working and some() < 0.75 else "",
            "position": position if some() < 0.8 else "",
            "income_band": _INCOME(rng) if some() < 0.55 else "",
            "career_attitude": rng.choice(CAREER_ATTITUDES) if some() < 0.25 else "",
            "marital_status": "",
            "spouse": "",
            "children": "",
            "highest_degree": degree if some() < 0.75 else "",
            "major": rng.choice(MAJORS) if college and some() < 0.6 else "",
            "school": rng.choice(UNIVERSITIES)
            if college and degree != "大专" and some() < 0.6
            else "",
        }
        if rng.random() < 0.6:
            profile["marital_status"] = (
                "已婚"
                if married
                else ("未婚" if age < 45 else rng.choice(("离异", "丧偶", "未婚")))
            )
            if married and rng.random() < 0.6:
                profile["spouse"] = person_name(rng, "female" if gender == "male" else "male")
            if married and age > 25 and rng.random() < 0.7:
                profile["children"] = _CHILDREN(rng)
        record.person = profile

    def _employer(self, region: Region) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            city = region.city.removesuffix("市")
            return rng.choice(EMPLOYER_PATTERNS).format(
                city=city, province=region.province.removesuffix("省")
            )
        return self._company_name(region)[0]

    # --- organizations

    def _company_name(self, region: Region) -> tuple[str, str, tuple[str, str, str]]:
        rng = self.rng
        trade, pinyin = rng.choice(TRADES)
        industry = rng.choice(INDUSTRIES)
        city = region.city.removesuffix("市") if len(region.city) > 2 else region.city
        if rng.random() < 0.15:  # named after the district
            city = region.district[:-1] if len(region.district) > 2 else region.district
        return f"{city}{trade}{industry[1]}{_SUFFIX(rng)}", pinyin, industry

    def _organization(self, record: DemoCustomer, customer_id: int) -> None:
        rng = self.rng
        region = record.region
        record.name, pinyin, industry = self._company_name(region)
        domain = f"{pinyin}{rng.randrange(1000)}.com"
        floor = rng.randint(1, 32)
        street = f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        record.address = f"{_place(region)}{street}{rng.choice(TOWERS)}{floor}层"
        area_code = AREA_CODES.get(region.city)
        if area_code and rng.random() < 0.8:
            record.phones = [landline_number(rng, area_code)]
        if rng.random() < 0.4:
            record.emails = [f"{rng.choice(('info', 'sales', 'service', 'office'))}@{domain}"]
        size, _weight, revenues, (cap_low, cap_high) = _SIZE(rng)
        founded = self.today - timedelta(days=rng.randint(400, 30 * 365))
        legal = person_name(rng)
        sequence = (customer_id * _CODE_STRIDE + 7) % _CODE_SPACE
        others = [self._company_name(region)[0] for _ in range(rng.randint(1, 3))]
        some = rng.random  # some(): a draw for whether an optional fact is known
        code = make_credit_code(region_code=region.adcode, sequence=sequence)
        products = f"主营{industry[1]}类产品，占营业收入约{rng.randint(50, 95)}%"
        departments = f"设{rng.randint(3, 12)}个部门，员工约{rng.randint(10, 3000)}人"
        record.organization = {
            "credit_code": code if some() < 0.95 else "",
            "legal_representative": legal,
            "industry": industry[0],
            "size_band": size,
            "registered_capital": Decimal(rng.randint(cap_low, cap_high)),
            "founded_on": founded,
            "ownership_type": _OWNERSHIP(rng),
            "business_scope": industry[2] if some() < 0.8 else "",
            "market_capacity": rng.choice(MARKET_CAPACITY) if some() < 0.3 else "",
            "revenue_band": rng.choice(revenues),
            "performance_trend": _TREND(rng) if some() < 0.6 else "",
            "product_structure": products if some() < 0.3 else "",
            "competitiveness": rng.choice(STRENGTHS) if some() < 0.2 else "",
            "competitors": "、".join(others) if some() < 0.3 else "",
            "credit_rating": _RATING(rng) if some() < 0.7 else "",
            "credit_limit": Decimal(rng.randint(1, 500) * 10000) if some() < 0.4 else None,
            "organisation_notes": departments if some() < 0.1 else "",
        }
        boss = legal if some() < 0.6 else person_name(rng)
        contacts = [DemoContact(boss, "decision_maker", rng.choice(DECISION_TITLES), None, [], [])]
        for role, titles in rng.sample(CONTACT_ROLES, rng.choice((0, 1, 1, 2))):
            contacts.append(DemoContact(person_name(rng), role, rng.choice(titles), None, [], []))
        for contact in contacts:
            contact.phones = [mobile_number(rng, region.province)] if rng.random() < 0.9 else []
            if rng.random() < 0.5:
                contact.emails = [
                    f"{rng.choice('abcdefghjklmnpqrstwxyz')}{rng.randrange(10, 9999)}@{domain}"
                ]
            if rng.random() < 0.2:
                contact.birthday = date(
                    rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)
                )
        record.contacts = contacts

    # --- history

    def _history(self, record: DemoCustomer) -> None:
        """Changes consistent with the current values: the latest change of a field is its value."""
        rng = self.rng
        created, owner, source = record.created_at, record.owner, record.source_channel
        changes = record.changes

        def add(
            code: str, old: str, new: str, at: datetime, channel: str | None, **kw: Any
        ) -> None:
            changes.append(
                DemoChange(
                    code,
                    old,
                    new,
                    at,
                    channel,
                    self._recorder(channel, owner) if channel else None,
                    **kw,
                )
            )

        # Later updates, in time order, between creation and now.
        n_updates = _UPDATES(rng)
        times = sorted(_between(rng, created, self.now) for _ in range(n_updates + 3))
        stage_path = {
            "lead": ["lead"],
            "prospect": ["lead", "prospect"],
            "customer": rng.choice((["lead", "prospect", "customer"], ["lead", "customer"])),
            "lost": rng.choice((["lead", "prospect", "lost"], ["lead", "customer", "lost"])),
        }[record.lifecycle_stage]
        initial: dict[str, tuple[str, bool]] = {"name": (record.name, False)}
        phones = ", ".join(record.phones)
        updates: list[
            tuple[str, str, str, bool, str]
        ] = []  # code, old, new, sensitive, channel kind
        if phones and n_updates and rng.random() < 0.3:
            earlier = mobile_number(rng, record.region.province)
            initial["phones"] = (earlier, False)
            updates.append(("phones", earlier, phones, False, "contact"))
        elif phones:
            initial["phones"] = (phones, False)
        initial["address"] = (record.address, False)
        if record.person is not None:
            person = record.person
            initial["person.id_number"] = (person["id_number"], True)
            initial["person.gender"] = (person["gender"], False)
            initial["person.birth_date"] = (person["birth_date"].isoformat(), False)
            for code in ("person.employer", "person.income_band", "person.marital_status"):
                attr = code.split(".")[1]
                if person[attr] and rng.random() < 0.35:
                    updates.append((code, "", person[attr], code != "person.employer", "private"))
        else:
            org = record.organization or {}
            if org["credit_code"]:
                initial["organization.credit_code"] = (org["credit_code"], False)
            initial["organization.legal_representative"] = (org["legal_representative"], False)
            initial["organization.industry"] = (org["industry"], False)
            for code in ("organization.revenue_band", "organization.credit_rating"):
                attr = code.split(".")[1]
                if org[attr] and rng.random() < 0.4:
                    updates.append((code, "", org[attr], False, "company"))
        rng.shuffle(updates)
        updates.sort(key=lambda update: update[0] != "phones")  # the phone change always happens
        for code, (value, sensitive) in initial.items():
            add(code, "", value, created, source, sensitive=sensitive)
        add("lifecycle_stage", "", "lead", created, source)
        # Stage steps and a grade change take the first slots; other updates fill the rest.
        slot = 0
        for old, new in zip(stage_path, stage_path[1:], strict=False):
            add("lifecycle_stage", old, new, times[slot], rng.choice(UPDATE_CHANNELS["sales"]))
            slot += 1
        if record.grade != "general":
            add("grade", "general", record.grade, times[slot], rng.choice(UPDATE_CHANNELS["sales"]))
            slot += 1
        for code, old, new, sensitive, kind in updates[: max(n_updates, 1)]:
            at = times[min(slot, len(times) - 1)]
            add(code, old, new, at, rng.choice(UPDATE_CHANNELS[kind]), sensitive=sensitive)
            slot += 1
        last = max(change.at for change in changes)
        if record.status == "public_pool" and owner:
            at = _between(rng, last, self.now)
            note = "超过90天未跟进，退回公海"
            changes.append(DemoChange("owner", owner, "", at, None, None, note=note))
            changes.append(DemoChange("status", "active", "public_pool", at, None, None, note=note))
            last = at
        elif record.status == "archived":
            at = _between(rng, last, self.now)
            changes.append(
                DemoChange("status", "active", "archived", at, None, owner, note="客户注销")
            )
            record.archived_at = last = at
        record.updated_at = last


def generate_customers(
    count: int, *, seed: int, first_id: int, staff: DemoStaff, now: datetime
) -> Iterator[DemoCustomer]:
    """``count`` customers for ids ``first_id`` onwards, created over the two years before ``now``.

    The same arguments give the same customers. Creation times rise with the id.
    """
    generator = _Generator(seed=seed, first_id=first_id, staff=staff, now=now)
    start = now - timedelta(days=HISTORY_DAYS)
    span = (now - timedelta(days=1) - start).total_seconds()
    for index in range(count):
        offset = (index + generator.rng.random()) / max(count, 1) * span
        yield generator.customer(first_id + index, start + timedelta(seconds=offset))
