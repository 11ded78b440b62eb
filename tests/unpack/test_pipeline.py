"""Unpack through the real pipeline: names, containers and formats as the contract shows them."""

from __future__ import annotations

from datetime import datetime

from intake.pipeline import check_message
from rules import load_campaign
from tests.fixtures.mail import CST, build_message, make_7z, make_zip

PDF = b"%PDF-1.4\n% test\n"


def test_documents_in_the_contract_json() -> None:
    inner = build_message([("附件5 评审汇总表.txt", "评审汇总".encode())], subject="转发：评审汇总")
    raw = build_message(
        [
            ("附件1 申报表（喆珺小组）.pdf", PDF),
            ("某某省推荐材料.zip", make_zip([("材料/附件3 统计表.txt", b"stat"), ("../附件2.txt", b"x"),
                                          ("材料/补充.7z", make_7z([("附件4 推荐表.txt", b"rec")]))])),
        ],
        name_encoding="raw-gbk",
        attached_messages=[inner],
        received=datetime(2020, 9, 14, 10, 31, tzinfo=CST),
    )
    result = check_message(raw, load_campaign()).to_json()
    docs = [(d["filename"], d["container"], d["format"]) for d in result["documents"]]
    assert docs == [
        ("附件1 申报表（喆珺小组）.pdf", None, "pdf"),
        ("某某省推荐材料.zip", None, "zip"),
        ("材料/附件3 统计表.txt", "某某省推荐材料.zip", "txt"),
        ("附件2.txt", "某某省推荐材料.zip", "txt"),
        ("材料/补充.7z", "某某省推荐材料.zip", "7z"),
        ("附件4 推荐表.txt", "材料/补充.7z", "txt"),
        ("转发：评审汇总.eml", None, "eml"),
        ("附件5 评审汇总表.txt", "转发：评审汇总.eml", "txt"),
    ]
    assert result["message"]["received_at"] == "2020-09-14T10:31:00+08:00"
    assert result["message"]["from"] == "zhangsan@example-zhixie.cn"
    unsafe = [d for d in result["documents"] if d["filename"] == "附件2.txt"][0]
    assert [p["rule"] for p in unsafe["problems"]] == ["archive.unsafe_name"]
    assert all(d["form"] == "unknown" for d in result["documents"] if d["format"] in ("zip", "7z", "eml"))


def test_bad_archive_and_broken_message_give_findings_not_crashes() -> None:
    raw = build_message([("材料.zip", make_zip([("a.pdf", PDF)], password=b"pw")), ("坏.zip", b"PK\x03\x04broken")])
    result = check_message(raw, load_campaign()).to_json()
    problems = {d["filename"]: [p["rule"] for p in d["problems"]] for d in result["documents"]}
    assert problems["a.pdf"] == ["archive.encrypted"]
    assert problems["坏.zip"] == ["archive.corrupt"]
    garbage = check_message(b"\x00\x01 not a message", load_campaign()).to_json()
    assert garbage["documents"] == []
    assert "message.malformed" in [f["rule"] for f in garbage["findings"]]
