"""Label matching: spelling tolerance, value position rules, labels never taken as values."""

from __future__ import annotations

from parsers.forms.labels import Label, LabelSet, body_blocks, norm_label, value_of
from parsers.model import Document, Table

LS = LabelSet([
    Label("company", ("企业名称",)),
    Label("group_name", ("QC小组名称", "小组名称")),
    Label("mobile", ("手机号码", "手机")),
    Label("contact_person", ("直接联系人", "联系人")),
    Label("postcode", ("邮编",)),
])


def doc(*blocks):
    return Document(list(blocks))


def test_norm_label_drops_spaces_notes_colon_and_width():
    assert norm_label("企 业 名 称 （公章为准）：") == "企业名称"
    assert norm_label("ＱＣ　小组名称(以公章为准):") == "QC小组名称"
    assert norm_label("邮编____") == "邮编"


def test_inline_value_after_colon_in_cell_and_paragraph():
    assert value_of(doc(Table([["企业名称：某某有限公司"]])), LS, "company") == "某某有限公司"
    assert value_of(doc("企 业 名 称（公章为准）: 某某（集团）有限公司"), LS, "company") == "某某（集团）有限公司"


def test_inline_value_is_cut_at_the_next_label():
    d = doc("联系人：张三    手机：138 1234 5678   邮编：210000")
    assert value_of(d, LS, "contact_person") == "张三"
    assert value_of(d, LS, "mobile") == "138 1234 5678"
    assert value_of(d, LS, "postcode") == "210000"


def test_value_right_of_label_skipping_merged_copies():
    t = Table([["企业名称", "企业名称", "某公司", "某公司"]])
    assert value_of(doc(t), LS, "company") == "某公司"


def test_value_below_when_right_is_a_label():
    t = Table([["企业名称", "QC小组名称", "手机"], ["甲公司", "甲小组", "13800001111"]])
    d = doc(t)
    assert value_of(d, LS, "company") == "甲公司"
    assert value_of(d, LS, "group_name") == "甲小组"
    assert value_of(d, LS, "mobile") == "13800001111"


def test_blank_value_then_label_is_empty_not_the_label():
    t = Table([["企业名称", "", "QC小组名称", "乙小组"], ["手机", "", "", ""]])
    d = doc(t)
    assert value_of(d, LS, "company") is None
    assert value_of(d, LS, "group_name") == "乙小组"
    assert value_of(d, LS, "mobile") is None


def test_blank_cells_skipped_in_unmerged_spreadsheet_rows():
    t = Table([["企业名称", "", "", "丙公司"]])
    assert value_of(doc(t), LS, "company") == "丙公司"


def test_label_glued_to_longer_word_in_cell_is_not_a_label():
    t = Table([["企业名称及代码", "X"], ["企业名称", "丁公司"]])
    assert value_of(doc(t), LS, "company") == "丁公司"


def test_longest_alias_wins():
    t = Table([["QC小组名称", "戊小组"], ["手机号码", "13911112222"]])
    d = doc(t)
    assert value_of(d, LS, "group_name") == "戊小组"
    assert value_of(d, LS, "mobile") == "13911112222"


def test_notes_paragraphs_are_not_searched():
    d = doc(Table([["邮编", ""]]), "注：1. 本表电子版发送至中国质协。", "邮编：100048")
    assert value_of(d, LS, "postcode") is None
    assert [b for b in body_blocks(d) if isinstance(b, str)] == []


def test_tables_before_paragraphs_and_missing_label_is_none():
    d = doc("企业名称：段落公司", Table([["企业名称", "表格公司"]]))
    assert value_of(d, LS, "company") == "表格公司"
    assert value_of(doc("无关内容"), LS, "company") is None


def test_a_label_after_the_colon_is_not_a_value():
    assert value_of(doc(Table([["企业名称：QC小组名称"]])), LS, "company") is None
    assert value_of(doc("企业名称：手机："), LS, "company") is None
