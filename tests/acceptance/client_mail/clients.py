"""Whole messages as particular mail clients send them (see ``wire`` for why by hand).

Each builder takes ``files`` = [(name as the sender typed it, bytes)] and returns raw bytes. The
header details (X-Mailer, boundary style, how names are encoded) follow what those clients write;
none of it comes from ``tests/fixtures/mail.py``.
"""

from __future__ import annotations

import base64
import unicodedata
from datetime import datetime, timedelta, timezone

from tests.acceptance.client_mail.wire import (
    CRLF,
    Header,
    attachment,
    b64_lines,
    headers,
    leaf,
    multipart,
    rfc2231,
    rfc2231_continued,
    text_part,
    word,
    words,
)

CST = timezone(timedelta(hours=8))
ON_TIME = datetime(2020, 9, 10, 15, 20, tzinfo=CST)
INTAKE = "66073178@163.com"
BODY = "中国质协质量活动推进部：\n\n附件是我会2020年度全国优秀质量管理小组推荐材料，请查收。\n\n联系人：王敏 电话：025-83312345\n"


def rfc822_date(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S %z")


def received(dt: datetime, by: str = "mx.163.com", comment: str = "(Coremail)") -> Header:
    return ("Received", f"from smtp.example.cn (unknown [10.1.2.3])\r\n\tby {by} {comment} with SMTP id abc123\r\n"
                        f"\tfor <{INTAKE}>; {rfc822_date(dt)}")


def _envelope(subject_enc: str, sender: str, when: datetime | None, mailer: str | None,
              extra: list[Header] | None = None, msgid: str = "<20200910152000.abc@example.cn>") -> list[Header]:
    items: list[Header] = []
    if when is not None:
        items.append(received(when))
        items.append(("Date", rfc822_date(when - timedelta(minutes=1))))
    items += [("From", sender), ("To", INTAKE), ("Subject", subject_enc), ("Message-ID", msgid)]
    if mailer:
        items.append(("X-Mailer", mailer))
    items += list(extra or [])
    items.append(("MIME-Version", "1.0"))
    return items


def netease163(files: list[tuple[str, bytes]], subject: str = "江苏省质协2020年QC小组推荐材料",
               when: datetime | None = ON_TIME, sender_name: str = "江苏省质协") -> bytes:
    """163 webmail: GBK B-words everywhere (quoted, inside ``filename=`` and ``name=``), base64 bodies."""
    parts = [multipart("alternative", [text_part(BODY, "GBK"), text_part(f"<div>{BODY}</div>", "GBK", "html")],
                       "----=_Part_2_1234.1599722400000", preamble=b"")]
    for name, data in files:
        enc = word(name, "GBK")
        parts.append(attachment(data, f'filename="{enc}"', ct_name=f'name="{enc}"'))
    top = _envelope(word(subject, "GBK"), f'"{word(sender_name, "GBK")}" <qc_js@163.com>', when,
                    "Coremail Webmail Server Version XT5.0.13 build 20200603(b9d6a1fc)")
    return multipart("mixed", parts, "----=_Part_1_9876.1599722400000", top, preamble=b"")


def qqmail(files: list[tuple[str, bytes]], subject: str = "浙江省质协QC小组推荐材料", when: datetime | None = ON_TIME,
           html_extra: str = "") -> bytes:
    """QQ mail: RFC 2231 ``filename*=`` (UTF-8), subject as UTF-8 B-words, HTML+plain body."""
    html = f"<div>{BODY.replace(chr(10), '<br>')}</div>{html_extra}"
    plain = BODY + (f"\n{_strip_tags(html_extra)}" if html_extra else "")
    parts = [multipart("alternative", [text_part(plain, "utf-8"), text_part(html, "utf-8", "html")],
                       "----=_NextPart_5F59D2E0_0E4D2A40_1B2C3D4E", preamble=b"")]
    for name, data in files:
        parts.append(attachment(data, f"filename*={rfc2231(name)}", ct_name=f'name="{word(name, "utf-8")}"'))
    top = _envelope(word(subject, "utf-8"), f'"{word("浙江质协", "utf-8")}" <12345678@qq.com>', when, None,
                    [("X-QQ-MIME", "TCMime 1.0 by Tencent"), ("X-QQ-Mailer", "QQMail 2.x")])
    return multipart("mixed", parts, "----=_NextPart_5F59D2E0_0E4D2A40_4B2C3D4A", top)


def _strip_tags(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", html)


def foxmail(files: list[tuple[str, bytes]], subject: str = "山东省质量管理协会报送QC材料（镕喆珺）",
            when: datetime | None = ON_TIME) -> bytes:
    """Foxmail: headers labelled GB2312 although the text uses GBK-only characters; gb18030 body."""
    parts = [text_part(BODY + "经办人：朱镕喆\n", "gb18030")]
    for name, data in files:
        enc = word(name, "gbk").replace("?gbk?", "?GB2312?")
        parts.append(attachment(data, f'filename="{enc}"', ct_name=f'name="{enc}"'))
    top = _envelope(word(subject, "gbk").replace("?gbk?", "?gb2312?"),
                    f'"{word("朱镕喆", "gbk").replace("?gbk?", "?gb2312?")}" <zhurz@sdqa.org.cn>', when,
                    "Foxmail 7.2.19.158[cn]")
    return multipart("mixed", parts, "----=_001_NextPart123456789012_=----", top)


def outlook(files: list[tuple[str, bytes]], subject: str = "四川省质协2020年度QC小组推荐申报材料",
            when: datetime | None = ON_TIME, tnef: bytes | None = None) -> bytes:
    """Outlook 2016: multipart/related (HTML + inline logo) inside multipart/mixed; names as split
    UTF-8 B-words in ``name=`` *and* RFC 2231 in ``filename*=`` with a plain ``filename=`` too."""
    logo = base64.b64decode(b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    html = text_part(f"<html><body><p>{BODY}</p><img src=\"cid:image001.png@01D6875C\"></body></html>", "utf-8",
                     "html", "quoted-printable")
    img = leaf([("Content-Type", 'image/png; name="image001.png"'), ("Content-Description", "image001.png"),
                ("Content-Disposition", 'inline; filename="image001.png"; size=95'),
                ("Content-ID", "<image001.png@01D6875C>"), ("Content-Transfer-Encoding", "base64")], b64_lines(logo))
    related = multipart("related", [multipart("alternative", [text_part(BODY, "utf-8", cte="quoted-printable"), html],
                                              "_000_alt_", preamble=b""), img], "_004_rel_",
                        preamble=b"", items=[])
    parts = [related]
    for name, data in files:
        ascii_fallback = "attachment.docx" if name.endswith(".docx") else "attachment"
        parts.append(attachment(
            data,
            f'filename="{ascii_fallback}";\r\n\tfilename*={rfc2231(name)};\r\n\tsize={len(data)};\r\n'
            f'\tcreation-date="Thu, 10 Sep 2020 07:10:00 GMT"',
            ct_name=f'name="{words(name, "utf-8", "B", 8)}"',
            extra=[("Content-Description", words(name, "utf-8", "B", 8))],
        ))
    if tnef is not None:
        parts.append(attachment(tnef, 'filename="winmail.dat"', "application/ms-tnef", ct_name='name="winmail.dat"'))
    top = _envelope(words(subject, "gb2312", "B", 12), '"Liu Wei" <liuwei@scqa.org.cn>', when,
                    "Microsoft Outlook 16.0", [("Thread-Index", "AdaHXAbCdEfGhIj=="), ("Content-Language", "zh-cn")])
    return multipart("mixed", parts, "_005_mixed_", top)


def apple(files: list[tuple[str, bytes]], subject: str = "广东省质协 QC小组材料", when: datetime | None = ON_TIME) -> bytes:
    """Apple Mail: NFD-decomposed names, ``x-mac-*`` parameters, PDFs sent ``inline`` between text
    parts (Apple Mail interleaves them), Q-encoded names with ``x-unix-mode``."""
    parts = [text_part(BODY, "utf-8", cte="quoted-printable")]
    for name, data in files:
        nfd = unicodedata.normalize("NFD", name)
        pdf = name.lower().endswith(".pdf")
        ctype = "application/pdf" if pdf else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        parts.append(attachment(
            data, f"filename*={rfc2231(nfd)}", ctype, "inline" if pdf else "attachment",
            ct_name=f'x-unix-mode=0644;\r\n\tx-mac-type="50444620";\r\n\tx-mac-creator="4341524F";\r\n\tname="{word(nfd, "utf-8", "Q")}"'))
        parts.append(text_part("\n", "us-ascii", cte="7bit"))
    top = _envelope(word(subject, "utf-8", "Q"), '=?utf-8?Q?=E5=B9=BF=E4=B8=9C=E8=B4=A8=E5=8D=8F?= <gd@icloud.com>', when,
                    "Apple Mail (2.3608.120.23.2.4)")
    return multipart("mixed", parts, "Apple-Mail=_6B7C8D9E-1F2A-4B3C-9D8E-7F6A5B4C3D2E", top, preamble=b"")


def thunderbird(files: list[tuple[str, bytes]], subject: str = "湖北省质量协会2020年度全国优秀QC小组推荐材料（附件1-5）",
                when: datetime | None = ON_TIME) -> bytes:
    """Thunderbird: RFC 2231 continuations ``filename*0*=`` for long names, 7bit text body."""
    parts = [text_part(BODY, "utf-8", cte="8bit")]
    for name, data in files:
        parts.append(attachment(data, rfc2231_continued("filename", name),
                                ct_name=rfc2231_continued("name", name).replace("name*", "name*")))
    top = _envelope(words(subject, "utf-8", "B", 14), "Hubei QA <hbqa@hbzl.org>", when,
                    None, [("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Thunderbird/78.2.1")])
    return multipart("mixed", parts, "------------8A1B2C3D4E5F6A7B8C9D0E1F", top)


def forwarded(inner: bytes, subject: str = "Fwd: 推荐材料", when: datetime | None = ON_TIME,
              note: str = "转发：原邮件发错了地址，请查收附件。") -> bytes:
    """A forward-as-attachment: the whole original message as a message/rfc822 part."""
    parts = [text_part(note, "utf-8"),
             leaf([("Content-Type", "message/rfc822"), ("Content-Disposition", "attachment")], inner)]
    top = _envelope(word(subject, "utf-8"), "forwarder <staff@jsqa.org.cn>", when, None,
                    msgid="<fwd-1@jsqa.org.cn>")
    return multipart("mixed", parts, "fwd_boundary_1", top)


def plain(body: str, subject: str, when: datetime | None = ON_TIME, html: str | None = None,
          extra: list[Header] | None = None) -> bytes:
    """A message without attachments (a question, a link, a reply)."""
    top = _envelope(word(subject, "utf-8"), "unit <unit@example.cn>", when, None, extra)
    if html is None:
        return leaf(top + [("Content-Type", 'text/plain; charset="utf-8"'), ("Content-Transfer-Encoding", "base64")],
                    b64_lines(body.encode()))
    return multipart("alternative", [text_part(body), text_part(html, subtype="html")], "alt_only", top)


__all__ = ["CRLF", "ON_TIME", "apple", "forwarded", "foxmail", "headers", "netease163", "outlook", "plain", "qqmail",
           "rfc822_date", "received", "thunderbird"]
