"""Archives opened recursively in memory, under size, count, ratio and depth limits."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import rarfile

from intake.unpack import Limits, unpack_message
from tests.fixtures import rar as RAR
from tests.fixtures.mail import build_message, make_7z, make_zip

PDF = b"%PDF-1.4\n% test\n"


def _parts(raw: bytes, limits: Limits | None = None):
    u = unpack_message(raw, limits)
    return u, [(p.filename, p.container, p.format, [x.rule for x in p.problems]) for p in u.parts]


def test_zip_with_gbk_names_and_no_utf8_flag() -> None:
    z = make_zip([("推荐材料/", b""), ("推荐材料/附件1 申报表（喆珺小组）.pdf", PDF), ("推荐材料/附件2 工作总结.txt", "总结".encode())])
    assert all(not (i.flag_bits & 0x800) for i in zipfile.ZipFile(io.BytesIO(z)).infolist())
    _, got = _parts(build_message([("某某省推荐材料.zip", z)]))
    assert got == [
        ("某某省推荐材料.zip", None, "zip", []),
        ("推荐材料/附件1 申报表（喆珺小组）.pdf", "某某省推荐材料.zip", "pdf", []),
        ("推荐材料/附件2 工作总结.txt", "某某省推荐材料.zip", "txt", []),
    ]


def test_zip_with_utf8_flag() -> None:
    z = make_zip([("附件4 推荐表.pdf", PDF)], gbk_names=False)
    assert zipfile.ZipFile(io.BytesIO(z)).infolist()[0].flag_bits & 0x800
    _, got = _parts(build_message([("材料.zip", z)]))
    assert got[1] == ("附件4 推荐表.pdf", "材料.zip", "pdf", [])


def test_macos_metadata_entries_are_skipped() -> None:
    z = make_zip([("材料/附件1.pdf", PDF), ("__MACOSX/材料/._附件1.pdf", b"\0\5\26\7"), ("材料/.DS_Store", b"x")])
    _, got = _parts(build_message([("材料.zip", z)]))
    assert [g[0] for g in got] == ["材料.zip", "材料/附件1.pdf"]


def test_nested_zip_in_zip_and_member_bytes_are_exact() -> None:
    inner = make_zip([("附件5 评审汇总表.pdf", PDF)])
    outer = make_zip([("全部材料/分材料.zip", inner), ("全部材料/说明.txt", b"readme")])
    u, got = _parts(build_message([("全部.zip", outer)]))
    assert got == [
        ("全部.zip", None, "zip", []),
        ("全部材料/分材料.zip", "全部.zip", "zip", []),
        ("附件5 评审汇总表.pdf", "全部材料/分材料.zip", "pdf", []),
        ("全部材料/说明.txt", "全部.zip", "txt", []),
    ]
    assert [p.depth for p in u.parts] == [0, 1, 2, 1]
    assert u.parts[2].data == PDF


def test_7z_members() -> None:
    z = make_7z([("材料/附件1 申报表.pdf", PDF), ("材料/附件3 统计表.txt", "统计".encode())])
    u, got = _parts(build_message([("推荐材料.7z", z)]))
    assert got == [
        ("推荐材料.7z", None, "7z", []),
        ("材料/附件1 申报表.pdf", "推荐材料.7z", "pdf", []),
        ("材料/附件3 统计表.txt", "推荐材料.7z", "txt", []),
    ]
    assert u.parts[1].data == PDF


def test_encrypted_7z() -> None:
    z = make_7z([("附件1.pdf", PDF)], password="secret")
    _, got = _parts(build_message([("加密.7z", z)]))
    assert got == [("加密.7z", None, "7z", ["archive.encrypted"])]


def test_7z_member_over_the_size_limit_is_refused() -> None:
    z = make_7z([("big.txt", b"a" * 300_000), ("small.pdf", PDF)])
    _, got = _parts(build_message([("a.7z", z)]), Limits(max_part_bytes=100_000))
    assert got[1:] == [("big.txt", "a.7z", "txt", ["archive.too_large"]), ("small.pdf", "a.7z", "pdf", [])]


@pytest.mark.parametrize("name", ["rar4.rar", "rar4-solid.rar", "rar5.rar", "rar5-solid.rar"])
def test_rar_solid_and_rar5(rar_files: Path, name: str) -> None:
    data = (rar_files / name).read_bytes()
    assert rarfile.RarFile(io.BytesIO(data)).is_solid() == ("solid" in name)
    assert data.startswith(b"Rar!\x1a\x07\x01\x00" if name.startswith("rar5") else b"Rar!\x1a\x07\x00")
    u, got = _parts(build_message([("推荐材料.rar", data)]))
    assert got == [("推荐材料.rar", None, "rar", [])] + [(n, "推荐材料.rar", "txt", []) for n, _ in RAR.TEXTS]
    assert [p.data for p in u.parts[1:]] == [d for _, d in RAR.TEXTS]


@pytest.mark.parametrize("name", ["rar4-subdirs.rar", "rar5-subdirs.rar"])
def test_rar_subdirs_unicode_names(rar_files: Path, name: str) -> None:
    u, got = _parts(build_message([("a.rar", (rar_files / name).read_bytes())]))
    files = [(n, d) for n, d in RAR.tree() if not n.endswith("/")]
    assert [g[0] for g in got[1:]] == [n for n, _ in files] and "sub/üȵĩöḋè/file.txt" in [g[0] for g in got]
    assert all(g[1] == "a.rar" for g in got[1:])
    assert [p.data for p in u.parts[1:]] == [d for _, d in files]


@pytest.mark.parametrize("name", ["rar5-hpsw.rar", "rar4-hpsw.rar", "rar5-psw.rar", "rar4-psw.rar"])
def test_encrypted_rar(rar_files: Path, name: str) -> None:
    _, got = _parts(build_message([("a.rar", (rar_files / name).read_bytes())]))
    assert got == [("a.rar", None, "rar", ["archive.encrypted"])]


@pytest.mark.parametrize("version", [4, 5])
def test_rar_volume_part_is_reported(rar_files: Path, version: int) -> None:
    _, got = _parts(build_message([("a.part2.rar", (rar_files / f"rar{version}-vols.part2.rar").read_bytes())]))
    assert got == [("a.part2.rar", None, "rar", ["archive.corrupt"])]
    u, got = _parts(build_message([("a.part1.rar", (rar_files / f"rar{version}-vols.part1.rar").read_bytes())]))
    (whole, whole_data), (split, _) = RAR.VOLUME_SET
    # the member complete in the first volume is read; the one that continues in the next is reported
    assert got == [("a.part1.rar", None, "rar", []), (whole, "a.part1.rar", "txt", []),
                   (split, "a.part1.rar", "pdf", ["archive.corrupt"])]
    assert u.parts[1].data == whole_data and u.parts[2].data == b""


def test_zip_bomb_is_refused_before_reading() -> None:
    bomb = make_zip([("附件1 申报表.docx", bytes(200 * 1024 * 1024))])
    assert len(bomb) < 400_000
    u, got = _parts(build_message([("材料.zip", bomb)]))
    assert got == [("材料.zip", None, "zip", []), ("附件1 申报表.docx", "材料.zip", "docx", ["archive.too_large"])]
    assert u.parts[1].data == b""
    _, got = _parts(build_message([("材料.zip", bomb)]), Limits(max_part_bytes=500 * 1024 * 1024))
    assert got[1][3] == ["archive.bomb"]


def test_lying_sizes_are_caught_while_streaming() -> None:
    z = bytearray(make_zip([("a.txt", b"x" * 5_000_000)]))
    info = zipfile.ZipFile(io.BytesIO(bytes(z))).infolist()[0]
    # patch both headers to declare 1000 bytes: only counting real bytes can notice
    for off in (info.header_offset + 22, bytes(z).rindex(b"PK\x01\x02") + 24):
        z[off : off + 4] = (1000).to_bytes(4, "little")
    _, got = _parts(build_message([("a.zip", bytes(z))]), Limits(max_part_bytes=2_000_000))
    assert got[1][0] == "a.txt" and got[1][3] in (["archive.too_large"], ["archive.corrupt"])


def test_total_bytes_limit_over_members() -> None:
    z = make_zip([(f"f{i}.txt", bytes([65 + i]) * 40_000) for i in range(5)])
    _, got = _parts(build_message([("a.zip", z)]), Limits(max_total_bytes=100_000))
    rules = [g[3] for g in got[1:]]
    assert rules[:2] == [[], []] and ["archive.too_large"] in rules[2:]


def test_too_many_members() -> None:
    z = make_zip([(f"材料/{i:03d}.txt", b"x%d" % i) for i in range(30)])
    u, got = _parts(build_message([("多.zip", z)]), Limits(max_parts=10))
    assert len(u.parts) == 10
    assert got[0][3] == ["archive.too_many"]


def test_depth_limit() -> None:
    data = make_zip([("core.pdf", PDF)])
    for level in range(5):
        data = make_zip([(f"level{level}.zip", data)])
    u, got = _parts(build_message([("top.zip", data)]), Limits(max_depth=3))
    assert [p.depth for p in u.parts] == [0, 1, 2, 3]
    assert got[-1][3] == ["archive.too_deep"]
    assert "core.pdf" not in [g[0] for g in got]


def test_encrypted_zip_members() -> None:
    z = make_zip([("附件1 申报表.pdf", PDF), ("附件2 工作总结.txt", b"abc")], password=b"123456")
    zf = zipfile.ZipFile(io.BytesIO(z))
    assert zf.read(zf.infolist()[0], pwd=b"123456") == PDF  # a real ZipCrypto archive
    _, got = _parts(build_message([("加密.zip", z)]))
    assert got == [
        ("加密.zip", None, "zip", []),
        ("附件1 申报表.pdf", "加密.zip", "pdf", ["archive.encrypted"]),
        ("附件2 工作总结.txt", "加密.zip", "txt", ["archive.encrypted"]),
    ]


def test_corrupt_zip() -> None:
    z = make_zip([("a.pdf", PDF * 100), ("b.txt", b"hello" * 100)])
    _, got = _parts(build_message([("坏.zip", z[:-30])]))  # end of central directory cut off
    # the complete members are salvaged from their local headers (as unzip/7-Zip do)
    assert got == [("坏.zip", None, "zip", ["archive.corrupt"]), ("a.pdf", "坏.zip", "pdf", []),
                   ("b.txt", "坏.zip", "txt", [])]
    data_at = zipfile.ZipFile(io.BytesIO(z)).infolist()[0].header_offset + 30 + len("a.pdf")
    _, got = _parts(build_message([("坏.zip", z[: data_at + 8])]))  # cut inside the first member
    assert got == [("坏.zip", None, "zip", ["archive.corrupt"]), ("a.pdf", "坏.zip", "pdf", ["archive.corrupt"])]
    broken = bytearray(z)
    broken[data_at + 5 : data_at + 15] = b"\xff" * 10
    _, got = _parts(build_message([("坏.zip", bytes(broken))]))
    assert got[1][0] == "a.pdf" and got[1][3] == ["archive.corrupt"]
    assert got[2] == ("b.txt", "坏.zip", "txt", [])


def test_path_tricks_are_cleaned_and_flagged_on_the_member() -> None:
    z = make_zip([("../../etc/cron.d/x.txt", b"a"), ("/abs/附件1.pdf", PDF), ("C:\\材料\\附件2.txt", b"b"), ("ok/附件3.txt", b"c")])
    _, got = _parts(build_message([("路径.zip", z)]))
    assert got == [
        ("路径.zip", None, "zip", []),
        ("etc/cron.d/x.txt", "路径.zip", "txt", ["archive.unsafe_name"]),
        ("abs/附件1.pdf", "路径.zip", "pdf", ["archive.unsafe_name"]),
        ("材料/附件2.txt", "路径.zip", "txt", ["archive.unsafe_name"]),
        ("ok/附件3.txt", "路径.zip", "txt", []),
    ]


def test_eml_inside_7z_inside_zip() -> None:
    mail = build_message([("附件4 推荐表.pdf", PDF)], subject="原件")
    z = make_zip([("邮件.7z", make_7z([("原件.eml", mail)]))])
    _, got = _parts(build_message([("all.zip", z)]))
    assert got == [
        ("all.zip", None, "zip", []),
        ("邮件.7z", "all.zip", "7z", []),
        ("原件.eml", "邮件.7z", "eml", []),
        ("附件4 推荐表.pdf", "原件.eml", "pdf", []),
    ]


def test_corrupt_7z_keeps_the_rest_of_the_message() -> None:
    z = bytearray(make_7z([("a.txt", b"abc" * 1000), ("b.txt", b"zzz" * 1000)]))
    z[40:50] = b"\xff" * 10
    _, got = _parts(build_message([("坏.7z", bytes(z)), ("附件1.pdf", PDF)]))
    assert got == [("坏.7z", None, "7z", ["archive.corrupt"]), ("附件1.pdf", None, "pdf", [])]


def test_damaged_archives_never_lose_the_message() -> None:
    import random

    rng = random.Random(7)
    samples = [make_zip([("a.pdf", PDF * 50), ("b.txt", b"hello" * 200)]), make_7z([("a.pdf", PDF * 50)])]
    for _ in range(60):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        u, got = _parts(build_message([("x.archive", bytes(data)), ("附件1.pdf", PDF)]))
        assert got[-1] == ("附件1.pdf", None, "pdf", [])
        assert u.problems == []
