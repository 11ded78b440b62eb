"""Word 2.0, 6.0 and 95 binaries go to LibreOffice (format doc), never "unreadable".

Word 6.0/95 are compound files with a root ``WordDocument`` stream (wIdent 0xA5DC, nFib 0x65 / 0x68,
no ``1Table``); Word for Windows 2.0 is no compound file: the FIB (wIdent 0xA5DB, nFib 0x2D) starts
the file. The fixtures are minimal non-complex documents built from the FIB fields a reader needs
(fcMin, fcMac, ccpText) and the text after them.
"""

from __future__ import annotations

import pytest

from intake.unpack.sniff import sniff
from parsers.model import Document
from parsers.readers import READERS, office, read
from tests.unpack.cfbgen import make_cfb, word_fib_file

TEXT = b"National QC group application\rCompany: Yangzi Petrochemical\r"


def word2(encrypted: bool = False) -> bytes:
    return word_fib_file(0xA5DB, 0x2D, TEXT, encrypted=encrypted)


def word6(n_fib: int = 0x65) -> bytes:
    return make_cfb({"WordDocument": word_fib_file(0xA5DC, n_fib, TEXT),
                     "\x01CompObj": b"\x01\x00\xfe\xff", "\x05SummaryInformation": b"\xfe\xff"})


FILES = {"word2": word2(), "word6": word6(0x65), "word95": word6(0x68),
         "word6-stream": word_fib_file(0xA5DC, 0x65, TEXT)}  # a Word 6 document stream without OLE


@pytest.mark.parametrize("kind", list(FILES))
@pytest.mark.parametrize(("name", "fmt"), [("附件1 申报表.doc", "doc"), ("附件1 申报表.docx", "doc"),
                                           ("附件1 申报表", "doc"), ("附件1 申报表.wps", "wps")])
def test_old_word_binaries_sniff_as_doc(kind: str, name: str, fmt: str) -> None:
    s = sniff(FILES[kind], name)
    assert (s.format, s.problems) == (fmt, [])


def test_encrypted_word2_is_encrypted() -> None:
    assert [p.rule for p in sniff(word2(encrypted=True), "申报表.doc").problems] == ["document.encrypted"]


@pytest.mark.parametrize("kind", list(FILES))
def test_old_word_binaries_are_handed_to_libreoffice(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    def converter(data: bytes, filename: str, timeout: float) -> Document:
        seen.append(data)
        return Document(blocks=["converted"])

    monkeypatch.setitem(READERS, "doc", converter)
    doc = read(FILES[kind], "doc", "附件1 申报表.doc")
    assert seen == [FILES[kind]] and doc.problems == [] and doc.blocks == ["converted"]


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", list(FILES))
def test_libreoffice_reads_old_word_binaries(kind: str) -> None:
    if office.soffice() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    doc = read(FILES[kind], "doc", "附件1 申报表.doc")
    assert doc.problems == [] and doc.meta.get("converted_from") == "doc"
    assert doc.blocks == ["National QC group application", "Company: Yangzi Petrochemical"]
