"""The measuring tool must be right before its numbers mean anything."""

from __future__ import annotations

from bench.corpus_eval import flatten, generic_key, leaf, match_documents, same


def test_flatten_and_generic_keys() -> None:
    flat = flatten({"groups": [{"seq": "1", "company": "甲"}], "members": ["张三", "李四"], "judges": []})
    assert flat == {"groups[0].seq": "1", "groups[0].company": "甲", "members": ["张三", "李四"], "judges": []}
    assert generic_key("groups[12].company") == "groups.company"
    assert generic_key("members") == "members"


def test_same_is_strict_where_the_contract_is() -> None:
    assert same("company", "中国石化", " 中国石化 ")
    assert not same("company", "中国石化", "中国石化公司")
    assert not same("phone", "025-1234", "0251234")  # inner text is kept as written
    assert same("score", 92.5, 92.5) and not same("score", 92.5, "92.5")  # numbers are JSON numbers
    assert same("groups[0].seq", "1", 1) and same("groups[0].seq", "1", " 1")
    assert same("meeting_held", True, True) and not same("meeting_held", True, 1)
    assert same("topic_type", None, None) and not same("topic_type", None, "创新型")
    assert same("members", ["a", "b"], ["a", "b"]) and not same("members", ["a", "b"], ["b", "a"])
    assert same("char_count", 3000, 3140) and not same("char_count", 3000, 3200)


def test_leaf_of_finding_fields() -> None:
    assert leaf("entries[].score") == "score"
    assert leaf("groups[2].company") == "company"
    assert leaf("mobile") == "mobile"
    assert leaf(None) is None


def test_documents_match_by_name_and_container() -> None:
    actual = [{"filename": "a.docx", "container": "x.zip"}, {"filename": "b.pdf", "container": None}]
    got = match_documents([{"filename": "a.docx", "container": "x.zip"}, {"filename": "dir/b.pdf", "container": None},
                           {"filename": "c.xlsx", "container": None}], actual)
    assert got == [actual[0], actual[1], None]
