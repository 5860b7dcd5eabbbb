"""Chinese sample customers for demos and benchmarks, generated, never downloaded."""

import random
from collections.abc import Iterator

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅琳斌宇浩凯晨欣"
    "怡子涵梓轩雨萱思远嘉诚志明海燕慧婷俊峰文博晓东春梅"
)
CITIES = "上海 北京 杭州 苏州 南京 广州 深圳 成都 武汉 西安 宁波 无锡".split()
TRADES = "宏达 鑫源 华泰 永盛 恒通 金瑞 中科 天诚 博远 嘉禾 润丰 新锐".split()
INDUSTRIES = "机械 电子 贸易 食品 化工 物流 纺织 医药 建材 软件".split()
SUFFIXES = "有限公司 股份有限公司 有限责任公司 集团有限公司".split()


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    return rng.choice(SURNAMES) + given


def company_name(rng: random.Random) -> str:
    return rng.choice(CITIES) + rng.choice(TRADES) + rng.choice(INDUSTRIES) + rng.choice(SUFFIXES)


def customer_names(count: int, *, seed: int = 2026) -> Iterator[tuple[str, bool]]:
    """``count`` (name, is_organization) pairs; about one in four is an organization."""
    rng = random.Random(seed)  # noqa: S311 (sample data, not security)
    for _ in range(count):
        is_org = rng.random() < 0.25
        yield (company_name(rng) if is_org else person_name(rng)), is_org
