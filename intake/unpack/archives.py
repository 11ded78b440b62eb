"""Listing and reading the members of zip, rar and 7z archives in memory, under limits.

Why a generator of :class:`Member`/:class:`Problem`: the caller (:mod:`intake.unpack.collect`)
owns the message-wide budget (total bytes, part count) and may stop early; members are read one
at a time so at most one decompressed member is held beyond what was already accepted.

Every refusal happens *before* decompressing when the archive's own header already tells
(declared size, ratio, encryption flag), and again while streaming, counting real bytes,
because headers lie. Nothing is ever written to disk under a member's name.
"""

from __future__ import annotations

import functools
import io
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import IO

from intake.unpack.names import clean_member_path
from intake.unpack.types import Limits
from parsers.model import Problem

CHUNK = 1 << 20


@dataclass
class Member:
    name: str  # cleaned display path inside the archive
    data: bytes
    problems: list[Problem] = field(default_factory=list)
    unsafe_name: str | None = None  # the original name, when it had to be cleaned
    named: bool = True  # False: the container gave it no name (a made-up one is shown)


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def precheck(name: str, size: int, packed: int | None, limits: Limits, room: int) -> Problem | None:
    """Refuse from the declared sizes alone (costs nothing; a 200 MB zeros member stops here)."""
    if size > limits.max_part_bytes:
        return Problem("archive.too_large", f"{name}: 解压后 {size} 字节，超过单个文件上限 {limits.max_part_bytes} 字节")
    if size > room:
        return Problem("archive.too_large", f"{name}: 解压后 {size} 字节，超过本邮件剩余容量 {room} 字节")
    if packed is not None and size > limits.ratio_floor_bytes and size > limits.max_ratio * max(packed, 1):
        return Problem("archive.bomb", f"{name}: 压缩比 {size // max(packed, 1)}:1，疑似压缩炸弹")
    return None


def _read_capped(stream, name: str, packed: int | None, limits: Limits, room: int) -> bytes:
    """Read a member stream counting real bytes; stop as soon as a limit is passed."""
    cap = min(limits.max_part_bytes, room)
    buf = bytearray()
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > cap:
            raise _Refused(Problem("archive.too_large", f"{name}: 实际解压超过 {cap} 字节，已停止"))
        if packed is not None and len(buf) > limits.ratio_floor_bytes and len(buf) > limits.max_ratio * max(packed, 1):
            raise _Refused(Problem("archive.bomb", f"{name}: 实际压缩比超过 {limits.max_ratio}:1，疑似压缩炸弹"))


def _member(raw_name: str, data: bytes, problems: list[Problem] | None = None) -> Member:
    clean, unsafe = clean_member_path(raw_name)
    return Member(clean or "(无名文件)", data, problems or [], raw_name if unsafe else None)


def _is_junk(name: str) -> bool:
    """macOS resource forks and folder metadata that zip tools add; never a submission."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith("._") or base in (".DS_Store", "Thumbs.db")


# --- zip ---------------------------------------------------------------------------------

def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as the sender's tool meant it.

    Flag 0x800 set: UTF-8 (zipfile already decoded it). Otherwise an Info-ZIP Unicode Path extra
    field (0x7075) if present and matching; else bytes that are valid UTF-8 are UTF-8 (macOS
    Finder and Linux tools write UTF-8 without the flag; GBK text is practically never valid
    UTF-8); else the creator's ANSI code page, which for our senders is GBK (Windows Explorer,
    WinRAR, 360压缩 on Chinese Windows); cp437 is the last resort.
    """
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    extra, i = info.extra, 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4 : i + 4 + size]
        if tag == 0x7075 and len(body) >= 5 and body[0] == 1:
            if struct.unpack_from("<I", body, 1)[0] == zlib.crc32(raw):
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    pass
        i += 4 + size
    if not raw.isascii():
        try:
            return unicodedata.normalize("NFC", raw.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return info.filename


def _extract(name: str, size: int, packed: int | None, open_stream: Callable[[], IO[bytes]], limits: Limits,
             room: Callable[[], int], corrupt: tuple[type[BaseException], ...],
             missing_tool: tuple[type[BaseException], ...] = ()) -> Member:
    """Read one archive member under the limits; any refusal or damage becomes a Problem on it.

    One place for zip and rar (7z extracts in bulk): declared size checked first (free), then the
    real bytes counted while streaming, because a header can lie.
    """
    refusal = precheck(name, size, packed, limits, room())
    if refusal:
        return _member(name, b"", [refusal])
    try:
        with open_stream() as stream:
            return _member(name, _read_capped(stream, name, packed, limits, room()))
    except _Refused as r:
        return _member(name, b"", [r.problem])
    except NotImplementedError as e:
        return _member(name, b"", [Problem("archive.corrupt", f"{name}: 不支持的压缩方式（{e}）")])
    except missing_tool as e:
        return _member(name, b"", [Problem("archive.corrupt", f"{name}: 本机缺少解压工具（{e}）")])
    except corrupt as e:
        return _member(name, b"", [Problem("archive.corrupt", f"{name}: 数据损坏（{e}）")])


def zip_members(data: bytes, limits: Limits, room: Callable[[], int]) -> Generator[Member | Problem, None, None]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as e:
        yield Problem("archive.corrupt", f"zip 无法打开：{e}")
        if data.startswith(b"PK\x03\x04"):
            yield from _salvage_zip(data, limits, room)
        return
    for info in infos:
        name = zip_member_name(info)
        if info.is_dir() or name.endswith(("/", "\\")) or _is_junk(name):
            continue
        if info.flag_bits & 0x1:
            yield _member(name, b"", [Problem("archive.encrypted", f"{name}: 压缩包内文件已加密（需要密码）")])
            continue
        yield _extract(name, info.file_size, info.compress_size, functools.partial(zf.open, info), limits, room,
                       (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError, struct.error))


_LOCAL = struct.Struct("<IHHHHHIIIHH")


def _salvage_zip(data: bytes, limits: Limits, room: Callable[[], int]) -> Iterator[Member | Problem]:
    """A zip cut off in transit has no central directory, but its local headers still lead from
    one member to the next: read the complete members in order, as unzip/7-Zip recover them, and
    report the one that was cut. Only deflated/stored members with their sizes (or a deflate
    stream that ends) are taken; anything doubtful is reported, never guessed."""
    pos = 0
    while pos + _LOCAL.size <= len(data) and data.startswith(b"PK\x03\x04", pos):
        _sig, _ver, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(data, pos)
        raw_name = data[pos + _LOCAL.size : pos + _LOCAL.size + nlen]
        info = zipfile.ZipInfo(raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace"))
        info.flag_bits, info.extra = flags, data[pos + _LOCAL.size + nlen : pos + _LOCAL.size + nlen + xlen]
        name = zip_member_name(info)
        start = pos + _LOCAL.size + nlen + xlen
        if flags & 0x1:
            yield _member(name, b"", [Problem("archive.encrypted", f"{name}: 压缩包内文件已加密（需要密码）")])
            return
        refusal = precheck(name, usize, csize, limits, room()) if not flags & 0x8 else None
        if refusal:
            yield _member(name, b"", [refusal])
            return
        try:
            content, end = _local_data(data, start, method, csize, flags, min(limits.max_part_bytes, room()))
        except (zlib.error, ValueError) as e:
            yield _member(name, b"", [Problem("archive.corrupt", f"{name}: 文件不完整（压缩包被截断）：{e}")])
            return
        if zlib.crc32(content) & 0xFFFFFFFF != crc and not flags & 0x8:
            yield _member(name, b"", [Problem("archive.corrupt", f"{name}: 文件不完整（压缩包被截断）")])
            return
        if not (name.endswith(("/", "\\")) or _is_junk(name)):
            yield _member(name, content)
        pos = end + (16 if flags & 0x8 and data.startswith(b"PK\x07\x08", end) else 12 if flags & 0x8 else 0)


def _local_data(data: bytes, start: int, method: int, csize: int, flags: int, cap: int) -> tuple[bytes, int]:
    """One member's bytes from its local header on → (content, end offset of its packed data)."""
    if method == 0 and not flags & 0x8:
        if start + csize > len(data):
            raise ValueError("数据不足")
        return data[start : start + csize], start + csize
    if method != 8:
        raise ValueError(f"不支持的压缩方式 {method}")
    d = zlib.decompressobj(-15)
    out = d.decompress(data[start : start + (csize if not flags & 0x8 else len(data))], cap + 1)
    if len(out) > cap:
        raise ValueError("解压后过大")
    if not d.eof:
        raise ValueError("压缩数据不完整")
    used = (csize if not flags & 0x8 else len(data) - start) - len(d.unused_data)
    return out, start + used


# --- rar ---------------------------------------------------------------------------------

_rar_ready = False


def _rarfile():
    """rarfile with its external tool chosen once (unar is the one that reads every RAR variant)."""
    global _rar_ready
    import rarfile

    if not _rar_ready:
        try:
            rarfile.tool_setup()
        except rarfile.RarCannotExec:
            pass  # stored members still read; compressed ones report archive.corrupt with the reason
        _rar_ready = True
    return rarfile


def rar_members(data: bytes, limits: Limits, room: Callable[[], int]) -> Generator[Member | Problem, None, None]:
    rarfile = _rarfile()
    try:
        rf = rarfile.RarFile(io.BytesIO(data))
        if rf.needs_password():
            yield Problem("archive.encrypted", "RAR 压缩包已加密（需要密码）")
            return
        infos = rf.infolist()
    except rarfile.PasswordRequired:
        yield Problem("archive.encrypted", "RAR 压缩包已加密（需要密码）")
        return
    except rarfile.NeedFirstVolume:
        yield Problem("archive.corrupt", "RAR 分卷压缩包的一部分，请把全部分卷一起发送或改为单个压缩包")
        return
    except (rarfile.Error, OSError, ValueError, EOFError, struct.error, IndexError) as e:
        yield Problem("archive.corrupt", f"RAR 无法打开：{e}")
        return
    for info in infos:
        name = info.filename
        if info.is_dir() or _is_junk(name):
            continue
        if info.needs_password():
            yield _member(name, b"", [Problem("archive.encrypted", f"{name}: 压缩包内文件已加密（需要密码）")])
            continue
        if info.flags & (rarfile.RAR_FILE_SPLIT_AFTER | rarfile.RAR_FILE_SPLIT_BEFORE):
            detail = f"{name}: 分卷压缩包中跨卷的文件，请改为单个压缩包发送"
            yield _member(name, b"", [Problem("archive.corrupt", detail)])
            continue
        yield _extract(name, info.file_size, info.compress_size, functools.partial(rf.open, info), limits, room,
                       (rarfile.Error, OSError, EOFError, ValueError, struct.error),
                       missing_tool=(rarfile.RarCannotExec,))


# --- 7z ----------------------------------------------------------------------------------

def sevenzip_members(data: bytes, limits: Limits, room: Callable[[], int]) -> Generator[Member | Problem, None, None]:
    """py7zr 1.x has no read(): extract the admitted members into a size-limited memory factory,
    then verify each length against the header (the factory silently truncates, env-facts §7)."""
    import py7zr
    import py7zr.exceptions as e7
    import py7zr.io

    try:
        z = py7zr.SevenZipFile(io.BytesIO(data))
        infos = [i for i in z.list() if not i.is_directory]
        encrypted = z.needs_password()
    except e7.PasswordRequired:
        yield Problem("archive.encrypted", "7z 压缩包已加密（需要密码）")
        return
    except Exception as e:  # py7zr lets its codecs' errors (lzma.LZMAError, ...) through on damaged input
        yield Problem("archive.corrupt", f"7z 无法打开：{type(e).__name__}: {e}")
        return
    if encrypted:
        for info in infos:
            yield _member(info.filename, b"", [Problem("archive.encrypted", f"{info.filename}: 压缩包内文件已加密（需要密码）")])
        return
    total_declared = sum(i.uncompressed for i in infos)
    packed_share = len(data) * 1.0
    admitted: list = []
    budget = room()
    for info in infos:
        if _is_junk(info.filename):
            continue
        share = None if total_declared == 0 else int(packed_share * info.uncompressed / total_declared)
        refusal = precheck(info.filename, info.uncompressed, share, limits, budget)
        if refusal:
            yield _member(info.filename, b"", [refusal])
            continue
        budget -= info.uncompressed
        admitted.append(info)
    if not admitted:
        return
    factory = py7zr.io.BytesIOFactory(max(i.uncompressed for i in admitted) + 1)
    try:
        z.extract(targets=[i.filename for i in admitted], factory=factory)
    except e7.AbsolutePathError as e:
        yield Problem("archive.unsafe_name", f"7z 内含不安全的路径：{e}")
        return
    except Exception as e:  # as above: any codec error on damaged data
        yield Problem("archive.corrupt", f"7z 解压失败：{type(e).__name__}: {e}")
        return
    finally:
        z.close()
    for info in admitted:
        product = factory.products.get(info.filename)
        if product is None:
            yield _member(info.filename, b"", [Problem("archive.corrupt", f"{info.filename}: 未能解压")])
            continue
        product.seek(0)
        content = product.read()
        if len(content) != info.uncompressed:
            detail = f"{info.filename}: 解压得到 {len(content)} 字节，与记录的 {info.uncompressed} 字节不符"
            yield _member(info.filename, b"", [Problem("archive.corrupt", detail)])
            continue
        yield _member(info.filename, content)


READERS = {"zip": zip_members, "rar": rar_members, "7z": sevenzip_members}
