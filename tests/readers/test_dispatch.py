"""read(): format registry, never raising, time limit, converter missing, text and image files."""

from __future__ import annotations

import pytest

from parsers.readers import READERS, office, read
from tests.fixtures import office as build


def test_every_contract_document_format_has_a_reader():
    assert set(READERS) >= {"docx", "doc", "xlsx", "xls", "pdf", "wps", "et", "txt"}


def test_image_file():
    doc = read(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "image", "扫描.png")
    assert [p.rule for p in doc.problems] == ["document.image"] and doc.text_trusted is False


def test_unsupported_format():
    doc = read(b"whatever", "other", "x.bin")
    assert [p.rule for p in doc.problems] == ["document.unsupported"]


def test_empty_file_unreadable():
    assert [p.rule for p in read(b"", "docx", "x.docx").problems] == ["document.unreadable"]


def test_reader_bug_is_ours_not_the_senders(monkeypatch):
    """A reader that raises is our bug: document.internal_error with the traceback, never 'unreadable'."""
    from parsers.read_file import read_file

    def broken(data, filename, timeout):
        raise RecursionError("too deep")

    monkeypatch.setitem(READERS, "txt", broken)
    with pytest.raises(RecursionError):
        read(b"abc", "txt", "x.txt")
    res = read_file(b"abc", "x.txt", "txt")
    assert [p.rule for p in res.problems] == ["document.internal_error"]
    assert "RecursionError" in res.problems[0].detail and "Traceback" in res.traces[0]
    assert not res.text_trusted


def test_converter_missing(monkeypatch):
    monkeypatch.setattr(office, "soffice", lambda: None)
    for data, fmt in ((b"{\\rtf1\\ansi hello}", "doc"), (b"{\\rtf1\\ansi hello}", "rtf")):
        doc = read(data, fmt, "x.doc")
        assert [p.rule for p in doc.problems] == ["converter.missing"], fmt
        assert all(ord(ch) < 128 for ch in doc.problems[0].detail)


def test_html_named_doc_is_read_without_libreoffice(monkeypatch):
    monkeypatch.setattr(office, "soffice", lambda: None)
    doc = read(build.html_form().encode("utf-8"), "doc", "x.doc")
    assert doc.problems == [] and doc.tables and doc.meta["format"] == "html"


def test_text_encodings():
    text = "推荐单位：某省质量协会\r\n\r\n联系人：张三\n"
    for data in (text.encode("utf-8"), text.encode("gb18030"), text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        doc = read(data, "txt", "说明.txt")
        assert doc.paragraphs == ["推荐单位：某省质量协会", "联系人：张三"], data[:4]
