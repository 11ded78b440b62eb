"""Formats offices export (issue 9): RTF saved as .doc, HTML tables saved as .xls, Word's "single file web
page" (MHTML) saved as .doc, .odt/.ods, Strict Open XML, CSV (GBK, UTF-8 with BOM), .xlsx formulas
without cached values — sniffed from the bytes whatever the name says, and read into the same fields
as a .docx/.xlsx copy, through the real pipeline (``check_message``: unpack, the per-message
LibreOffice batch, the reading workers, the rules)."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from bench.corpus_eval import flatten, same
from intake.pipeline import check_message
from intake.unpack.sniff import sniff
from parsers import forms
from parsers.readers import docx as docx_reader
from parsers.readers import html, office, read
from parsers.readers import xlsx as xlsx_reader
from parsers.readers.csvfile import delimiter
from parsers.readers.formulas import uncached_formulas
from rules import Campaign, load_campaign
from tests.contract_schema import validate
from tests.fixtures import exported as X
from tests.fixtures.data import expected_fields, make_unit
from tests.fixtures.form_backends import to_docx, to_pdf, to_xlsx
from tests.fixtures.form_layouts import build
from tests.fixtures.forms import filename_for, render
from tests.fixtures.mail import build_message

UNIT = make_unit(5151, 1, recommender_index=4)
G = UNIT.groups[0]
FORMULA_TEXT = re.compile(r"=(?:[A-Z]+\(|Z\d|\d+\+|\")")  # what xlsx_with_formulas writes
needs_lo = pytest.mark.skipif(office.soffice() is None, reason="LibreOffice (soffice) not installed")


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign()


@pytest.fixture(scope="module")
def lo_made() -> dict[tuple[str, str], bytes]:
    """The LibreOffice-made files the submissions use, made in one run per target format."""
    if office.soffice() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    return X.libreoffice_made(UNIT, [("application", "rtf"), ("application", "odt"), ("summary", "odt"),
                                     ("summary", "rtf"), ("statistics", "ods"), ("review", "ods")])


def _expected(form: str) -> dict:
    return flatten(expected_fields(UNIT, form, G if form in ("application", "report", "evidence") else None))


def _files(lo: dict[tuple[str, str], bytes], plan: str) -> dict[str, tuple[str, bytes, str]]:
    """form → (sender's file name, bytes, the contract format the bytes must sniff as)."""
    formulas_stats = X.xlsx_with_formulas("statistics", UNIT)[0]
    formulas_rec = X.xlsx_with_formulas("recommendation", UNIT)[0]
    strict_rec = X.strict(to_xlsx(build("recommendation", UNIT, 0)))
    strict_review = X.strict(to_xlsx(build("review", UNIT, 0)))
    strict_summary = X.strict(to_docx(build("summary", UNIT, 0)))
    plans = {
        "rtf-csv-html": {
            "application": ("附件1 申报表.doc", lo[("application", "rtf")], "rtf"),
            "statistics": ("附件3 统计表.xlsx", formulas_stats, "xlsx"),
            "recommendation": ("附件4 推荐表.xls", X.excel_html("recommendation", UNIT), "html"),
            "review": ("附件5 评审汇总表.csv", X.csv_bytes("review", UNIT, "gb18030"), "csv"),
            "summary": ("附件2 工作总结.odt", lo[("summary", "odt")], "odt"),
        },
        "mhtml-ods-strict": {
            "application": ("附件1 申报表.doc", X.mhtml("application", UNIT, G), "html"),
            "statistics": ("附件3 统计表.csv", X.csv_bytes("statistics", UNIT, "utf-8-sig"), "csv"),
            "recommendation": ("附件4 推荐表.xlsx", strict_rec, "xlsx"),
            "review": ("附件5 评审汇总表.ods", lo[("review", "ods")], "ods"),
            "summary": ("附件2 工作总结.docx", strict_summary, "docx"),
        },
        "odt-html-formulas": {
            "application": ("附件1 申报表.odt", lo[("application", "odt")], "odt"),
            "statistics": ("附件3 统计表.xls", X.excel_html("statistics", UNIT, "utf-8"), "html"),
            "recommendation": ("附件4 推荐表.xlsx", formulas_rec, "xlsx"),
            "review": ("附件5 评审汇总表.xlsx", strict_review, "xlsx"),
            "summary": ("附件2 工作总结.doc", lo[("summary", "rtf")], "rtf"),
        },
        "misnamed": {  # every one named as something else
            "application": ("附件1 申报表.docx", X.mhtml("application", UNIT, G, encoding="base64"), "html"),
            "statistics": ("附件3 统计表.xls", X.csv_bytes("statistics", UNIT, "gb18030"), "csv"),
            "recommendation": ("附件4 推荐表.doc", X.excel_html("recommendation", UNIT), "html"),
            "review": ("附件5 评审汇总表.xls", lo[("review", "ods")], "ods"),
            "summary": ("附件2 工作总结.doc", lo[("summary", "odt")], "odt"),
        },
    }
    return plans[plan]


def _message(files: dict[str, tuple[str, bytes, str]]) -> bytes:
    """A whole submission: the planned files, the 申报表's sealed PDF copy, 成果报告 and 证实性材料."""
    pdf = to_pdf(build("application", UNIT, 0, G), seal=G.company)
    rest = [(filename_for("application", UNIT, "pdf", 0, G), pdf),
            (filename_for("report", UNIT, "docx", 0, G), render("report", UNIT, "docx", 0, G)),
            (filename_for("evidence", UNIT, "docx", 0, G), render("evidence", UNIT, "docx", 0, G))]
    planned = [(name, data) for name, data, _fmt in files.values()]
    return build_message(planned + rest, from_addr=UNIT.email, from_name=UNIT.recommender)


@needs_lo
@pytest.mark.parametrize("plan", ["rtf-csv-html", "mhtml-ods-strict", "odt-html-formulas", "misnamed"])
def test_exported_formats_through_the_pipeline(pool, campaign, lo_made, plan) -> None:
    files = _files(lo_made, plan)
    result = check_message(_message(files), campaign, pool=pool).to_json()
    validate(result)
    docs = {d["filename"]: d for d in result["documents"]}
    for form, (name, _data, fmt) in files.items():
        doc = docs[name]
        assert (doc["format"], doc["form"]) == (fmt, form), (name, doc["format"], doc["form"], doc.get("problems"))
        assert doc.get("read_by") == "text" and not doc.get("problems"), (name, doc.get("problems"))
        got = flatten(doc["fields"])
        wrong = {p: (v, got.get(p)) for p, v in _expected(form).items() if not same(p, v, got.get(p))}
        assert not wrong, f"{plan}: {name} ({fmt}) fields differ (expected, got): {wrong}"
    app = docs[files["application"][0]]
    assert app["fields"].get("copy") == "word", app["fields"]  # the RTF/MHTML/ODT 申报表 is the Word copy
    missing = [f for f in result["findings"] if f["rule"].endswith(".missing") or "未收到" in f["message"]]
    assert missing == [], missing
    errors = [f for f in result["findings"] if f["severity"] == "error"]
    assert result["status"] == "complete" and errors == [], errors


@needs_lo
def test_one_libreoffice_run_per_target_for_a_message(pool, campaign, lo_made, monkeypatch) -> None:
    """RTF, .odt, .ods and a formula .xlsx of one message: two soffice runs (→docx, →xlsx), before the workers."""
    calls: list[tuple[str, list[str]]] = []
    real = office.convert_many

    def counting(files, target, timeout=60.0, infilter=None, warm=False):
        calls.append((target, [ext for _d, ext in files]))
        assert warm  # the message's conversions go to the warm LibreOffice
        return real(files, target, timeout, infilter, warm)

    monkeypatch.setattr(office, "convert_many", counting)
    files = _files(lo_made, "rtf-csv-html")
    result = check_message(_message(files), campaign, pool=pool).to_json()
    assert sorted(calls) == [("docx", ["rtf", "odt"]), ("xlsx", ["xlsx"])], calls
    assert result["status"] == "complete"


# ------------------------------------------------------------------ sniffing, whatever the name says

@needs_lo
def test_every_exported_format_sniffs_from_its_bytes(lo_made) -> None:
    cases = {
        "rtf": lo_made[("application", "rtf")], "odt": lo_made[("summary", "odt")],
        "ods": lo_made[("review", "ods")], "html": X.excel_html("statistics", UNIT),
        "csv": X.csv_bytes("statistics", UNIT), "rtf-hand": b"{\\rtf1\\ansi\\ansicpg936 \\'c9\\'ea\\'b1\\'a8}",
    }
    cases_mhtml = X.mhtml("application", UNIT, G)
    for name in ("附件1.doc", "附件1.docx", "附件1.xls", "附件1.wps", "附件1.et", "附件1.txt", "附件1"):
        for fmt, data in cases.items():
            assert sniff(data, name).format == fmt.split("-")[0], (fmt, name)
        assert sniff(cases_mhtml, name).format == "html", name
    assert sniff(X.strict(to_docx(build("summary", UNIT, 0))), "总结.doc").format == "docx"
    assert sniff(X.strict(to_xlsx(build("review", UNIT, 0))), "汇总.xls").format == "xlsx"


def test_saved_web_page_with_mail_like_headers_is_html_not_a_message() -> None:
    """Internet Explorer's .mht starts with From/Subject/Date, like a mail; a real mail has To/Received."""
    page = X.mhtml("application", UNIT, G)
    ie = b"From: <Saved by Windows Internet Explorer 8>\r\nSubject: x\r\nDate: Mon, 14 Sep 2020 09:30:00 +0800\r\n" + page
    assert sniff(ie, "申报表.doc").format == "html"
    assert sniff(ie, "转发.eml").format == "eml"


# ------------------------------------------------------------------ the HTML reader

def test_html_table_grid_merges_nested_and_paragraphs() -> None:
    page = ("<html><head><title>忽略</title><style>td{}</style></head><body><h2>全国优秀质量管理小组推荐表</h2>"
            "<p>推荐单位：&nbsp;某省质量协会</p><table><tr><td rowspan=2>序号</td><td colspan=2>小组</td></tr>"
            "<tr><td>企业名称</td><td>小组名称</td></tr><tr><td>1</td><td>甲公司<br>（总部）</td>"
            "<td><table><tr><td>内</td></tr></table>乙小组</td></tr></table>"
            "<p style='page-break-before:always'>第二页</p></body></html>")
    doc = read(page.encode("utf-8"), "html", "推荐表.xls")
    assert doc.paragraphs == ["全国优秀质量管理小组推荐表", "推荐单位： 某省质量协会", "第二页"]
    outer, inner = doc.tables
    assert outer.grid == [["序号", "小组", "小组"], ["序号", "企业名称", "小组名称"], ["1", "甲公司\n（总部）", "乙小组"]]
    assert inner.grid == [["内"]] and outer.nested == [inner]
    assert [(d.kind, d.start) for d in doc.divisions] == [("section", 0), ("section", 4)]


def test_html_charsets_and_symbol_ticks() -> None:
    gbk = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>'
           '<table><tr><td>课题类型</td><td><span style="font-family:Wingdings">\u00fe</span>问题解决型 '
           '<span style="font-family:Wingdings">\u00a8</span>创新型</td></tr></table></body></html>')
    for data in (gbk.encode("gb18030"), b"\xef\xbb\xbf" + gbk.replace("gb2312", "utf-8").encode()):
        doc = read(data, "html", "申报表.doc")
        assert doc.tables[0].grid == [["课题类型", "☑问题解决型 □创新型"]]


def test_excel_web_archive_sheets_are_divisions() -> None:
    """Excel's 另存为 "单个文件网页": a frameset page, then one HTML part per sheet."""
    def part(loc: str, body: str) -> str:
        return f"--b\r\nContent-Location: file:///C:/x/{loc}\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n{body}\r\n"
    data = ("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n"
            + part("book.htm", "<html><frameset><frame src=sheet001.htm></frameset></html>")
            + part("sheet001.htm", "<html><body><table><tr><td>统计表</td><td>1</td></tr></table></body></html>")
            + part("sheet002.htm", "<html><body><table><tr><td>推荐表</td><td>2</td></tr></table></body></html>")
            + "--b--\r\n").encode()
    doc = read(data, "html", "统计表.xls")
    assert [t.grid for t in doc.tables] == [[["统计表", "1"]], [["推荐表", "2"]]]
    assert [(d.kind, d.label) for d in doc.divisions] == [("sheet", "sheet001.htm"), ("sheet", "sheet002.htm")]


def test_not_html_named_html_is_unreadable() -> None:
    doc = read(b"\x00\x01\x02 binary", "html", "x.htm")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]
    assert not html.is_html(b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">')


# ------------------------------------------------------------------ CSV

@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_statistics_is_one_table_not_commas(encoding: str) -> None:
    """The issue's symptom: a CSV 统计表 read as text gave ``广西质量协会,,,,,``."""
    doc = read(X.csv_bytes("statistics", UNIT, encoding), "csv", "统计表.csv")
    assert len(doc.tables) == 1 and not any(",," in p for p in doc.paragraphs)
    fields = forms.extract("statistics", doc, "csv")
    expected = _expected("statistics")
    assert {p: v for p, v in flatten(fields).items() if p in expected} == expected


def test_csv_delimiters_and_quoted_cells() -> None:
    assert delimiter("推荐单位;某省\n小组数;12\n") == ";"
    assert delimiter("推荐单位\t某省\n小组数\t12\n") == "\t"
    assert delimiter("一、基本情况\n我省共有小组1,234个，活动正常\n", prose_safe=True) is None
    prose = "我省今年共开展QC小组活动,参与职工人数达到五万余人,取得了显著的经济效益。\n" * 2 + "各市积极组织发表,评选出优秀成果二百项,效果良好。\n"
    assert delimiter(prose) == "," and delimiter(prose, prose_safe=True) is None
    doc = read('名称,"甲公司,总部","两行\r\n文字"\r\n人数,12,\r\n'.encode("gbk"), "csv", "a.csv")
    assert doc.tables[0].grid == [["名称", "甲公司,总部", "两行\n文字"], ["人数", "12", ""]]


# ------------------------------------------------------------------ Strict Open XML: measured against LibreOffice

def test_strict_packages_defeat_the_libraries_and_are_read_after_renaming() -> None:
    word = X.strict(to_docx(build("application", UNIT, 0, G)))
    book = X.strict(to_xlsx(build("statistics", UNIT, 0)))
    assert docx_reader.read(word).problems[0].rule == "document.unreadable"  # python-docx: no officeDocument
    assert xlsx_reader.read(book).blocks == []  # openpyxl: silently an empty workbook
    for data, fmt, form in ((word, "docx", "application"), (book, "xlsx", "statistics")):
        doc = read(data, fmt, f"x.{fmt}")
        assert doc.meta.get("strict") is True and not doc.problems
        fields = flatten(forms.extract(form, doc, fmt))
        wrong = {p: (v, fields.get(p)) for p, v in _expected(form).items() if not same(p, v, fields.get(p))}
        assert not wrong, (fmt, wrong)


@needs_lo
def test_strict_renaming_reads_what_libreoffice_reads() -> None:
    """The choice in parsers/readers/strict.py: LibreOffice (a real Strict reader) converting the same
    files gives the very same fields as renaming the namespaces, at ~1.5 s instead of ~0.05 s."""
    word = X.strict(to_docx(build("application", UNIT, 0, G)))
    book = X.strict(to_xlsx(build("statistics", UNIT, 0)))
    via_lo_word = office.convert_many([(word, "docx")], "docx")[0]
    via_lo_book = office.convert_many([(book, "xlsx")], "xlsx")[0]
    assert via_lo_word and via_lo_book
    for ours, theirs, fmt, form in ((word, via_lo_word, "docx", "application"), (book, via_lo_book, "xlsx", "statistics")):
        assert forms.extract(form, read(ours, fmt, "x"), fmt) == forms.extract(form, read(theirs, fmt, "x"), fmt)


# ------------------------------------------------------------------ formulas without cached values

def test_formula_workbook_has_no_cached_values_to_read() -> None:
    data, n = X.xlsx_with_formulas("statistics", UNIT)
    assert n >= 5 and uncached_formulas(data)
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert all(c.value is None for row in wb.active.iter_rows() for c in row
               if isinstance(c.value, str) and c.value.startswith("="))
    with zipfile.ZipFile(io.BytesIO(to_xlsx(build("statistics", UNIT, 0)))) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert not uncached_formulas(to_xlsx(build("statistics", UNIT, 0)))


@needs_lo
def test_formulas_are_recalculated_never_read_as_formula_or_row_number() -> None:
    data, _n = X.xlsx_with_formulas("recommendation", UNIT)
    doc = read(data, "xlsx", "推荐表.xlsx")
    assert doc.meta.get("recalculated") is True and not doc.problems
    assert not FORMULA_TEXT.search(doc.text())
    fields = forms.extract("recommendation", doc, "xlsx")
    assert [g["seq"] for g in fields["groups"]] == [g["seq"] for g in expected_fields(UNIT, "recommendation")["groups"]]


def test_formulas_without_libreoffice_go_to_staff_empty(monkeypatch) -> None:
    monkeypatch.setattr(office, "soffice", lambda: None)
    data, _n = X.xlsx_with_formulas("statistics", UNIT)
    doc = read(data, "xlsx", "统计表.xlsx")
    assert [p.rule for p in doc.problems] == ["converter.missing"] and not doc.text_trusted
    assert not FORMULA_TEXT.search(doc.text())
