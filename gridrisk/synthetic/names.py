"""Plausible Chinese place and official names, drawn without repeats from word lists.

Names are invented from common surnames and place-name words of the central plains, so a
generated county reads like a real one without copying any real register."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SURNAMES = tuple(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙"
    "段雷钱汤尹黎常武乔贺龚文牛葛翟岳申庞"
)
VILLAGE_SUFFIXES = tuple("庄楼营寨集店屯湾岗桥洼圩园口坡台铺堂庙沟河埠")
DIRECTIONS = tuple("东西南北前后大小上下")
TREES = ("柳树", "杨树", "槐树", "桑园", "枣林", "梨园", "杏园", "桃园", "榆林", "松林",
         "柏林", "竹园", "棠梨", "苇子", "荷花", "菱角", "芦花", "柿园")
TREE_SUFFIXES = ("", "沟", "坡", "庄", "湾", "岗")
NUMERALS = tuple("二三四五六七八九十")
MILE_SUFFIXES = tuple("店铺堡桥屯")

COMMUNITY_WORDS = (
    "幸福", "和平", "建设", "人民", "文化", "新华", "光明", "东风", "朝阳", "锦绣", "滨河", "育才",
    "龙湖", "青年", "花园", "振兴", "胜利", "团结", "民主", "繁荣", "康乐", "丰收", "书香", "金桥",
    "银河", "紫荆", "桂园", "兰苑", "翠竹", "春晖", "阳光", "长安", "安居", "府前", "新城", "南关",
    "北关", "东关", "西关", "车站", "商城", "城北", "城南", "城东", "城西", "解放", "中山", "迎宾",
    "体育", "工业", "园林", "华苑", "明珠", "天润", "怡和", "颐和", "祥和", "佳苑", "鼓楼", "文昌",
)
COMMUNITY_SUFFIXES = ("", "路", "街", "里", "苑", "园", "湾", "城")

STREET_WORDS = ("城关", "东城", "西城", "南城", "北城", "新华", "人民", "解放", "城郊", "滨河",
                "文昌", "鼓楼")
TOWN_FIRST = tuple("清永安平太龙凤金石白黄青红双三万长高新古孟马柳杨韩刘")
TOWN_SECOND = tuple("河山岭湖川泉沟坡桥城岗陵台营寨集店口庙铺")

COUNTY_FIRST = tuple("清安永宁泰和平嘉兴丰康德新华景瑞怀长临汝郾商淮西")
COUNTY_SECOND = tuple("河阳川城丘源水山平陵义丰泽宁安乡")

GIVEN_CHARS = tuple("建国卫东红梅志强海燕华文斌晓丽娟明伟军勇静磊洋艳杰涛春霞秀英玉兰桂芳"
                    "振立新永保全德胜宏亮峰超鹏飞俊")

CELL_ORDINALS = ("第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九")


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def county_name(rng: np.random.Generator) -> str:
    return _pick(rng, COUNTY_FIRST) + _pick(rng, COUNTY_SECOND) + "县"


def _village_stem(rng: np.random.Generator) -> str:
    pattern = rng.random()
    if pattern < 0.40:
        return _pick(rng, SURNAMES) + _pick(rng, VILLAGE_SUFFIXES)
    if pattern < 0.65:
        return _pick(rng, DIRECTIONS) + _pick(rng, SURNAMES) + _pick(rng, VILLAGE_SUFFIXES)
    if pattern < 0.80:
        return _pick(rng, SURNAMES) + "家" + _pick(rng, VILLAGE_SUFFIXES)
    if pattern < 0.93:
        return _pick(rng, TREES) + _pick(rng, TREE_SUFFIXES)
    return _pick(rng, NUMERALS) + "里" + _pick(rng, MILE_SUFFIXES)


def _community_stem(rng: np.random.Generator) -> str:
    return _pick(rng, COMMUNITY_WORDS) + _pick(rng, COMMUNITY_SUFFIXES)


def _town_stem(rng: np.random.Generator) -> str:
    if rng.random() < 0.5:
        return _pick(rng, SURNAMES) + _pick(rng, TOWN_SECOND)
    return _pick(rng, TOWN_FIRST) + _pick(rng, TOWN_SECOND)


class NameBook:
    """Hands out names unique across the county (so also unique within every township)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def _fresh(self, make_stem: Callable[[np.random.Generator], str], suffix: str) -> str:
        for _ in range(10_000):
            name = make_stem(self._rng) + suffix
            if name not in self._used:
                self._used.add(name)
                return name
        raise RuntimeError(f"ran out of distinct names ending in {suffix}")

    def street(self) -> str:
        for word in STREET_WORDS:
            name = word + "街道"
            if name not in self._used:
                self._used.add(name)
                return name
        return self._fresh(_town_stem, "街道")

    def town(self) -> str:
        return self._fresh(_town_stem, "镇")

    def township(self) -> str:
        return self._fresh(_town_stem, "乡")

    def village(self) -> str:
        return self._fresh(_village_stem, "村")

    def community(self) -> str:
        return self._fresh(_community_stem, "社区")


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Officials' names (surname + one or two given characters), distinct."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        given_length = 1 if rng.random() < 0.3 else 2
        name = _pick(rng, SURNAMES) + "".join(_pick(rng, GIVEN_CHARS) for _ in range(given_length))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def cell_name(ordinal: int) -> str:
    """第一网格 for ordinal 1."""
    return CELL_ORDINALS[ordinal - 1] + "网格"
