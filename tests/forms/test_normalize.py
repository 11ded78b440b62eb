"""Value normalisation and tick-box reading."""

from __future__ import annotations

import pytest

from parsers.forms.marks import topic_type, yes_no
from parsers.forms.normalize import find_date, normalize_digits, normalize_phone, parse_number


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1,234.5", None, 1234.5),
        ("１２３４", None, 1234),
        ("85%", "百分数", 85),
        ("８５．５％", "百分数", 85.5),
        ("3.2万个", "万个", 3.2),
        ("12万元", "万元", 12),
        ("32000个", "万个", 3.2),
        ("1.2亿元", "万元", 12000),
        ("  300 ", "万元", 300),
        ("约 1,200 万元", "万元", 1200),
        ("", None, None),
        # 无 answers the question (none = 0); None would make the rules say "未填写" to a unit that filled it
        ("无", "万元", 0),
        ("没有", None, 0),
        ("见附件", None, None),
        (None, None, None),
    ],
)
def test_parse_number(text, unit, expected):
    got = parse_number(text, unit)
    assert got == expected
    if expected is not None:
        assert isinstance(got, int | float)


def test_parse_number_keeps_int_and_float_apart():
    assert isinstance(parse_number("1234"), int)
    assert isinstance(parse_number("3.5"), float)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("010-66073178", "01066073178"),
        ("(010) 66073178", "01066073178"),
        ("（０１０）66073178", "01066073178"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("13812345678；13900001111", "13812345678"),
        ("1381234567", "1381234567"),
        ("无", "无"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalize_phone(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020年9月10日", "2020-09-10"),
        ("2020 年 9 月 10 日", "2020-09-10"),
        ("２０２０年９月１０日", "2020-09-10"),
        ("2020.9.10", "2020-09-10"),
        ("2020-9-10", "2020-09-10"),
        ("2020/09/10", "2020-09-10"),
        ("单位盖章：2020年09月01日", "2020-09-01"),
        ("二〇二〇年九月十日", "2020-09-10"),
        ("二〇二〇年十二月三十一日", "2020-12-31"),
        ("年  月  日", None),
        ("2020年2月30日", None),
        ("", None),
    ],
)
def test_find_date(text, expected):
    assert find_date(text) == expected


def test_normalize_digits():
    assert normalize_digits(" ０１ ") == "01"
    assert normalize_digits("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("☑问题解决型 □创新型", "问题解决型"),
        ("□问题解决型 ☑创新型", "创新型"),
        ("问题解决型（√）  创新型（  ）", "问题解决型"),
        ("问题解决型（ ）  创新型（√）", "创新型"),
        ("问题解决型√ 创新型", "问题解决型"),
        ("√问题解决型 创新型", "问题解决型"),
        ("□问题解决型 ■创新型", "创新型"),
        ("■创新型", "创新型"),
        ("☒问题解决型 ☐创新型", "问题解决型"),
        ("✔ 问题解决型 ✔ 创新型", None),
        ("□问题解决型 □创新型", None),
        ("问题解决型 创新型", None),
        ("创新型", "创新型"),
        ("现场型", "问题解决型"),
        ("", None),
        (None, None),
    ],
)
def test_topic_type(text, expected):
    assert topic_type(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("☑是 □否", True),
        ("□是 ☑否", False),
        ("是（√） 否（ ）", True),
        ("□是 □否", None),
        ("☑是 ☑否", None),
        ("是", True),
        ("否", False),
        ("", None),
    ],
)
def test_yes_no(text, expected):
    assert yes_no(text) is expected


def test_nfkc_is_unicode_nfkc_also_where_full_width_forms_meet_combining_marks():
    """nfkc maps the full-width forms itself before the library's quick check (a speed-up): the result must
    stay exactly NFKC, also where a mapped letter composes with a following mark or a string needs more."""
    import random
    import unicodedata

    from parsers.forms.normalize import nfkc, squash

    fixed = ["联系人：张三（组长）", "Ａ\u0301", "ｅ\u0308ｘ", "\u3000手机：１３８\u3000", "㍿ ﬁ ①", "ｶﾞ", "", "abc"]
    rng = random.Random(7)
    alphabet = "质量小组：（）１２ＡＢａｂ\u3000\u0301\u0308\u30ab\u3099ﾞｶ①㍿ﬁ ,.-"
    samples = fixed + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(2000)]
    for s in samples:
        assert nfkc(s) == unicodedata.normalize("NFKC", s), repr(s)
    long_line = "申报单位：" + "某某公司（盖章）" * 40  # longer than the memo keeps: computed, the same answer
    assert squash(long_line) == squash(long_line[:60]) + squash(long_line[60:])
    assert squash(" 课题 名称： ") == "课题名称:"
