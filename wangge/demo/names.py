"""Realistic Chinese names, addresses and numbers for the demo district (data, drawn with a seeded RNG)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from wangge.core.pii import id_check_digit

# The most common surnames with approximate weights (per mille, national 2020 census order; Jiangsu-leaning).
SURNAMES: list[tuple[str, float]] = [
    ("王", 71), ("李", 70), ("张", 68), ("刘", 52), ("陈", 50), ("杨", 33), ("黄", 23), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 17), ("孙", 16), ("马", 15), ("朱", 15), ("胡", 13), ("郭", 12),
    ("何", 12), ("林", 11), ("高", 11), ("罗", 11), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 8),
    ("唐", 8), ("许", 8), ("韩", 7), ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6),
    ("肖", 6), ("田", 6), ("董", 5), ("袁", 5), ("潘", 5), ("于", 5), ("蒋", 5), ("蔡", 5),
    ("余", 5), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4), ("丁", 4),
    ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3),
    ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3),
    ("韦", 2), ("顾", 3), ("钱", 2), ("缪", 2), ("仲", 1), ("季", 2), ("储", 1), ("吉", 1),
]  # fmt: skip
_SURNAME_CHARS = [s for s, _ in SURNAMES]
_SURNAME_CUM: list[float] = []
_acc = 0.0
for _s, _w in SURNAMES:
    _acc += _w
    _SURNAME_CUM.append(_acc)

MALE_CHARS = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊峰建国志文海东林龙斌晨阳博宏昊天成"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂英秀兰梅琳雪婷慧颖倩萍红洁佳琴云莉欣悦怡雯晶璐丹月"
ELDER_MALE = ["建国", "建华", "国强", "志刚", "德明", "长林", "金海", "福根", "永祥", "宝山", "春生", "桂林"]
ELDER_FEMALE = [
    "秀英",
    "桂英",
    "玉兰",
    "凤英",
    "秀兰",
    "桂兰",
    "兰英",
    "玉珍",
    "翠华",
    "素珍",
    "美华",
    "桂芳",
]

ROADS = [
    "长江中路", "宁海南路", "黄海大道", "中坝南路", "江淮路", "人民路", "通榆路", "海安大道",
    "长江西路", "鼓楼路", "开发大道", "城东路", "迎宾路", "双楼路", "百花路", "丽园路",
]  # fmt: skip
ESTATE_PREFIX = [
    "东园",
    "中坝",
    "江淮",
    "花园",
    "长江",
    "黄海",
    "凤山",
    "文峰",
    "紫石",
    "宁海",
    "阳光",
    "锦绣",
]
ESTATE_SUFFIX = ["新村", "小区", "花园", "家园", "苑", "名邸", "雅居", "佳苑"]

# Birthplace codes for ID numbers: mostly local (Nantong and Jiangsu), floating residents from elsewhere.
LOCAL_AREA_CODES = ["320621", "320621", "320621", "320682", "320681", "320623", "320602", "320684"]
OTHER_AREA_CODES = ["341221", "340822", "411522", "510322", "320923", "321323", "342422", "370724"]
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                  "155", "157", "158", "159", "166", "177", "180", "181", "182", "187", "188", "189", "199"]  # fmt: skip


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_CHARS, cum_weights=_SURNAME_CUM, k=1)[0]


def given_name(rng: random.Random, male: bool, born: int) -> str:
    if born < 1960 and rng.random() < 0.6:
        return rng.choice(ELDER_MALE if male else ELDER_FEMALE)
    chars = MALE_CHARS if male else FEMALE_CHARS
    if rng.random() < (0.25 if born < 1990 else 0.45):
        return rng.choice(chars)
    return rng.choice(chars) + rng.choice(chars)


def person_name(rng: random.Random, male: bool, born: int, family: str | None = None) -> str:
    return (family or surname(rng)) + given_name(rng, male, born)


def birth_date(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


class IdNumbers:
    """Unique valid 18-digit ID numbers (GB 11643): area + birth date + serial (odd = male) + check digit."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def make(self, rng: random.Random, born: date, male: bool, floating: bool = False) -> str:
        codes = OTHER_AREA_CODES if floating else LOCAL_AREA_CODES
        while True:
            serial = rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{rng.choice(codes)}{born:%Y%m%d}{serial:03d}"
            value = body + id_check_digit(body)
            if value not in self.seen:
                self.seen.add(value)
                return value


def phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def estate_name(rng: random.Random) -> str:
    return rng.choice(ESTATE_PREFIX) + rng.choice(ESTATE_SUFFIX)
