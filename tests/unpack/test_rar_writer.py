"""The RAR writer of tests/fixtures/rar.py, read back by two independent readers: rarfile, set up as
intake.unpack.archives sets it up (its external tool here is unar), and The Unarchiver's
``lsar``/``unar``. Names, sizes, flags and extracted bytes round-trip; encrypted archives ask for
a password; a damaged byte is noticed, so the checksums the readers accept are really checked."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from intake.unpack.archives import _rarfile
from tests.fixtures import rar as RAR

rarfile = _rarfile()
PLAIN = {
    "rar4.rar": RAR.TEXTS, "rar5.rar": RAR.TEXTS, "rar4-solid.rar": RAR.TEXTS, "rar5-solid.rar": RAR.TEXTS,
    "rar4-subdirs.rar": RAR.tree(), "rar5-subdirs.rar": RAR.tree(),
}


@pytest.fixture(scope="module", autouse=True)
def unar_installed() -> None:
    missing = [t for t in ("unar", "lsar") if shutil.which(t) is None]
    assert not missing, f"{missing} not installed; .ci/run installs them (apt-get install unar)"


@pytest.fixture(scope="module")
def archives() -> dict[str, bytes]:
    return RAR.sample_archives()


def _put(tmp_path: Path, archives: dict[str, bytes], *names: str) -> Path:
    """The archives in a folder of their own (lsar guesses volume sets from neighbouring names)."""
    folder = tmp_path / names[0].replace(".", "_")
    folder.mkdir()
    for n in names:
        (folder / n).write_bytes(archives[n])
    return folder / names[0]


def _run(*cmd: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def _lsar(path: Path, *opts: str) -> tuple[dict, list[dict]]:
    r = _run("lsar", "-j", *opts, path)
    assert r.returncode == 0, r.stderr
    listing = json.loads(r.stdout)
    return listing["lsarProperties"], listing["lsarContents"]


def _unar(path: Path, out: Path, *opts: str) -> dict[str, bytes | None]:
    """Extract with unar; {relative name: bytes, or None for a directory}."""
    r = _run("unar", "-q", "-D", "-o", out, *opts, path)
    assert r.returncode == 0, r.stdout + r.stderr
    return {p.relative_to(out).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(out.rglob("*"))}


def _expected(members) -> dict[str, bytes | None]:
    return {n.rstrip("/"): None if n.endswith("/") else d for n, d in members}


def _read_all(rf) -> dict[str, bytes | None]:
    return {i.filename.rstrip("/"): None if i.is_dir() else rf.read(i) for i in rf.infolist()}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_archives_round_trip(tmp_path, archives, name) -> None:
    members, solid, version = PLAIN[name], "solid" in name, 5 if name.startswith("rar5") else 4
    path = _put(tmp_path, archives, name)
    expected = _expected(members)

    rf = rarfile.RarFile(path, errors="strict")  # strict: a header CRC error raises
    assert rf.is_solid() == solid and not rf.needs_password()
    assert [(i.filename, i.file_size, i.is_dir()) for i in rf.infolist()] == [
        (n, len(d), n.endswith("/")) for n, d in members]
    assert _read_all(rf) == expected  # stored data: read directly, CRC32 checked at the end
    assert all(i.compress_type == rarfile.RAR_M0 for i in rf.infolist())
    assert rf.infolist()[0].extract_version == (50 if version == 5 else 29)

    props, contents = _lsar(path)
    assert bool(props.get("XADIsSolid")) == solid
    assert [(e["XADFileName"], e.get("XADFileSize", 0), bool(e.get("XADIsDirectory"))) for e in contents] == [
        (n.rstrip("/"), len(d), n.endswith("/")) for n, d in members]
    assert not any(e.get("XADIsEncrypted") for e in contents)
    test = _run("lsar", "-t", path)
    assert test.returncode == 0 and "0 failed" in test.stdout, test.stdout
    assert _unar(path, tmp_path / "out") == {**expected, **_parents(expected)}


def _parents(expected: dict[str, bytes | None]) -> dict[str, None]:
    """Directories unar creates for members' paths (which may have no entry of their own)."""
    return {p: None for n in expected for p in ["/".join(n.split("/")[:i]) for i in range(1, n.count("/") + 1)]}


@pytest.mark.parametrize("version", [4, 5])
def test_encrypted_members_need_a_password(tmp_path, archives, version) -> None:
    path = _put(tmp_path, archives, f"rar{version}-psw.rar")
    rf = rarfile.RarFile(path, errors="strict")
    assert rf.needs_password() and all(i.needs_password() for i in rf.infolist())
    assert [(i.filename, i.file_size) for i in rf.infolist()] == [(n, len(d)) for n, d in RAR.TEXTS]
    with pytest.raises(rarfile.PasswordRequired):
        rf.read(rf.infolist()[0])

    _, contents = _lsar(path)
    assert [(e["XADFileName"], e["XADFileSize"], e.get("XADIsEncrypted")) for e in contents] == [
        (n, len(d), 1) for n, d in RAR.TEXTS]
    test = _run("lsar", "-t", path)
    assert test.returncode != 0 and "requires a password" in test.stdout + test.stderr
    if version == 5:  # RAR5 encryption is real: the password decrypts (RAR4's ciphertext is a stand-in)
        rf.setpassword(RAR.PASSWORD)
        assert _read_all(rf) == _expected(RAR.TEXTS)  # through rarfile's tool (unar)
        assert _unar(path, tmp_path / "out", "-p", RAR.PASSWORD) == _expected(RAR.TEXTS)
        assert _run("lsar", "-t", "-p", RAR.PASSWORD, path).returncode == 0


@pytest.mark.parametrize("version", [4, 5])
def test_encrypted_headers_hide_the_names(tmp_path, archives, version) -> None:
    path = _put(tmp_path, archives, f"rar{version}-hpsw.rar")
    rf = rarfile.RarFile(path)
    assert rf.needs_password() and rf.infolist() == []
    r = _run("lsar", "-j", path)
    assert r.returncode != 0 and "requires a password" in r.stdout + r.stderr
    assert "工作总结".encode() not in archives[path.name]
    if version == 5:
        rf.setpassword(RAR.PASSWORD)  # rarfile decrypts the headers itself, the data through unar
        assert [(i.filename, i.file_size, i.needs_password()) for i in rf.infolist()] == [
            (n, len(d), True) for n, d in RAR.TEXTS]
        assert _read_all(rf) == _expected(RAR.TEXTS)
        assert _unar(path, tmp_path / "out", "-p", RAR.PASSWORD) == _expected(RAR.TEXTS)


@pytest.mark.parametrize("version", [4, 5])
def test_volumes(tmp_path, archives, version) -> None:
    names = RAR.volume_names(f"rar{version}-vols", 2)
    path = _put(tmp_path, archives, *names)
    expected = _expected(RAR.VOLUME_SET)
    (whole, _), (split, split_data) = RAR.VOLUME_SET

    rf = rarfile.RarFile(path, errors="strict")  # from the first volume on disk: the whole set
    assert [Path(v).name for v in rf.volumelist()] == names
    assert [(i.filename, i.file_size) for i in rf.infolist()] == [(n, len(d)) for n, d in RAR.VOLUME_SET]
    assert _read_all(rf) == expected
    props, contents = _lsar(path)
    assert [Path(v).name for v in props["XADVolumes"]] == names
    assert [(e["XADFileName"], e["XADFileSize"]) for e in contents] == [(n, len(d)) for n, d in RAR.VOLUME_SET]
    assert _run("lsar", "-t", path).returncode == 0
    assert _unar(path, tmp_path / "out") == expected

    alone = rarfile.RarFile(io.BytesIO(archives[names[0]]))  # the first volume alone, as mailed
    flags = {i.filename: i.flags & (rarfile.RAR_FILE_SPLIT_BEFORE | rarfile.RAR_FILE_SPLIT_AFTER)
             for i in alone.infolist()}
    assert flags == {whole: 0, split: rarfile.RAR_FILE_SPLIT_AFTER}
    assert len(split_data) > RAR.VOLUME_SIZE - len(RAR.VOLUME_SET[0][1])

    second = _put(tmp_path, archives, names[1])  # the second alone: not the first volume
    with pytest.raises(rarfile.NeedFirstVolume) as raised:
        rarfile.RarFile(second)
    assert raised.value.current_volume == 1  # RAR5: the main header's volume number; RAR4: the end header's
    props, contents = _lsar(second)
    assert props.get("XADIsCorrupted") == 1 or contents == []  # lsar lists nothing complete from it


@pytest.mark.parametrize("version", [4, 5])
def test_damage_is_noticed(tmp_path, archives, version) -> None:
    """The readers check the header and data checksums, so their accepting an archive means ours are right."""
    good = archives[f"rar{version}.rar"]
    data = bytearray(good)
    data[good.index(RAR.TEXTS[0][1][:40]) + 10] ^= 0x01
    path = tmp_path / "data.rar"
    path.write_bytes(bytes(data))
    rf = rarfile.RarFile(path, errors="strict")
    with pytest.raises(rarfile.BadRarFile):
        rf.read(rf.infolist()[0])
    assert _run("lsar", "-t", path).returncode != 0

    header = bytearray(good)
    header[good.index(RAR.TEXTS[1][0].encode("utf-8" if version == 5 else "gbk"))] ^= 0x01
    path.write_bytes(bytes(header))
    with pytest.raises(rarfile.BadRarFile):
        rarfile.RarFile(path, errors="strict")
