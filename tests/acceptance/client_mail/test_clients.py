"""A complete, on-time submission as each real client sends it: every file named as the sender
named it, nothing but the attachments listed, status complete, no error at all."""

from __future__ import annotations

import unicodedata

import pytest

from tests.acceptance.client_mail import clients as C
from tests.acceptance.client_mail.conftest import errors

CLIENTS = {
    "163": (C.netease163, "江苏省质协2020年QC小组推荐材料", "qc_js@163.com"),
    "qq": (C.qqmail, "浙江省质协QC小组推荐材料", "12345678@qq.com"),
    "foxmail": (C.foxmail, "山东省质量管理协会报送QC材料（镕喆珺）", "zhurz@sdqa.org.cn"),
    "outlook": (C.outlook, "四川省质协2020年度QC小组推荐申报材料", "liuwei@scqa.org.cn"),
    "apple": (C.apple, "广东省质协 QC小组材料", "gd@icloud.com"),
    "thunderbird": (C.thunderbird, "湖北省质量协会2020年度全国优秀QC小组推荐材料（附件1-5）", "hbqa@hbzl.org"),
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_complete_submission_from_each_client(client, files, check):
    build, subject, sender = CLIENTS[client]
    out = check(build(files))
    assert out["message"]["subject"] == subject
    assert out["message"]["from"] == sender
    assert out["message"]["received_at"] == "2020-09-10T15:20:00+08:00"
    # exactly the attachments, decoded, NFC (Apple sends NFD), in order; no body images
    assert [(d["filename"], d["container"]) for d in out["documents"]] == [
        (unicodedata.normalize("NFC", n), None) for n, _ in files]
    assert [d["format"] for d in out["documents"]] == [n.rsplit(".", 1)[1] for n, _ in files]
    assert errors(out) == []
    assert out["status"] == "complete"


def test_outlook_signature_logo_is_not_an_attachment(files, check):
    out = check(C.outlook(files[:2]))
    assert "image001.png" not in [d["filename"] for d in out["documents"]]
    assert "document.image" not in [f["rule"] for f in out["findings"]]


def test_outlook_winmail_dat_is_a_clear_finding(files, check):
    tnef = b"\x78\x9f\x3e\x22\x01\x00" + bytes(range(256)) * 4
    out = check(C.outlook(files, tnef=tnef))
    doc = next(d for d in out["documents"] if d["filename"] == "winmail.dat")
    assert (doc["format"], doc["form"]) == ("tnef", "unknown")  # a container holding no attachment
    f = next(f for f in out["findings"] if f["document"] == "winmail.dat")
    assert f["rule"] == "document.tnef" and "Outlook" in f["message"]
    assert out["status"] == "complete"  # the real attachments also came; the wrapper is only noted


def test_winmail_dat_alone_leaves_every_form_missing(check):
    out = check(C.outlook([], tnef=b"\x78\x9f\x3e\x22" + b"\x00" * 300))
    assert "document.tnef" in [f["rule"] for f in out["findings"]]
    assert {"summary.missing", "statistics.missing", "recommendation.missing", "review.missing"} <= {
        r for r, _, _ in errors(out)}


def test_forwarded_submission_keeps_outer_time_and_lists_the_inner_files(files, check):
    inner = C.netease163(files, when=C.ON_TIME.replace(day=16))  # the original was sent "late"
    out = check(C.forwarded(inner, subject="Fwd: 江苏省质协2020年QC小组推荐材料"))
    assert out["message"]["subject"] == "Fwd: 江苏省质协2020年QC小组推荐材料"
    assert out["message"]["received_at"] == "2020-09-10T15:20:00+08:00"
    head, *rest = out["documents"]
    assert (head["format"], head["container"]) == ("eml", None)
    assert [(d["filename"], d["container"]) for d in rest] == [(n, head["filename"]) for n, _ in files]
    assert out["status"] == "complete"


@pytest.mark.parametrize("html", [
    '<div><b>从QQ邮箱发来的超大附件</b><br><a href="https://mail.qq.com/cgi-bin/ftnExs_download?k=7a6b&t=exs_ftn_'
    'download&code=1f2e">附件1-5 推荐材料.zip</a> (85.2M, 2020年9月25日 15:20 到期)</div>',
    '<p>材料放在百度网盘：https://pan.baidu.com/s/1abcDEF 提取码：qc20</p>',
    '<div>网易邮箱超大附件：<a href="https://mail.163.com/large-attachment-download/index.html?p=X0a1&file=Y">'
    '推荐材料.rar</a></div>',
])
def test_download_link_instead_of_attachments_says_why_forms_are_missing(html, check):
    out = check(C.qqmail([], html_extra=html))
    link = [f for f in out["findings"] if f["rule"] == "message.download_link"]
    assert len(link) == 1 and link[0]["document"] is None and "下载链接" in link[0]["message"]
    assert out["documents"] == [] and out["status"] == "incomplete"


def test_ordinary_link_in_signature_is_not_a_download_link(files, check):
    out = check(C.qqmail(files, html_extra='<p>中国质量协会 <a href="https://www.caq.org.cn/">www.caq.org.cn</a></p>'))
    assert "message.download_link" not in [f["rule"] for f in out["findings"]]
    assert out["status"] == "complete"


def test_reply_quoting_a_receipt_is_read_as_a_message_without_forms(check):
    quoted = ("好的，统计表明天补发。\n\n------------------ 原始邮件 ------------------\n发件人: 66073178@163.com\n"
              "主题: 回执\n未收到附件3 质量管理小组活动统计表，请补发\n附件“附件1 申报表.docx”无法打开\n")
    out = check(C.plain(quoted, "Re: 回执：江苏省质协推荐材料", extra=[("In-Reply-To", "<receipt-1@163.com>")]))
    assert out["documents"] == []
    assert out["message"]["subject"] == "Re: 回执：江苏省质协推荐材料"
    assert "message.download_link" not in [f["rule"] for f in out["findings"]]
