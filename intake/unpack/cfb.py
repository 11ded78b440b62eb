"""A minimal reader of the Compound File Binary format (OLE2: .doc, .xls, .wps, .et, encrypted OOXML).

Why our own: sniffing only needs the stream names and the first bytes of two streams (to see
Word's and Excel's "encrypted" flags). That is ~100 lines against MS-CFB, with every chain walk
bounded so a malformed or hostile file ends in ``None``/``{}``, never a loop or an exception.
"""

from __future__ import annotations

import struct

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFE  # ENDOFCHAIN
_FREE = 0xFFFFFFFF


class Cfb:
    """Stream directory of one compound file held in memory."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(MAGIC):
            raise ValueError("not a compound file")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if not 7 <= shift <= 16 or not 2 <= mini_shift < shift:
            raise ValueError("bad sector size")
        self.ss, self.mss = 1 << shift, 1 << mini_shift
        n_fat, first_dir = struct.unpack_from("<II", data, 44)
        self.cutoff, first_minifat, _n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 56)
        self.max_sectors = max(1, (len(data) - 512) // self.ss + 1)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < _END]
        sec, per = first_difat, self.ss // 4 - 1
        for _ in range(min(n_difat, self.max_sectors)):
            if sec >= _END:
                break
            block = self._sector(sec)
            fat_sectors += [s for s in struct.unpack_from(f"<{per}I", block) if s < _END]
            sec = struct.unpack_from("<I", block, per * 4)[0]
        fat_sectors = fat_sectors[: min(n_fat or len(fat_sectors), self.max_sectors)]
        self.fat: list[int] = []
        for s in fat_sectors:
            block = self._sector(s)
            self.fat += struct.unpack(f"<{len(block) // 4}I", block[: len(block) // 4 * 4])
        self.entries = self._directory(first_dir)
        root = self.entries[0] if self.entries else None
        self.ministream = self._chain_bytes(root[2], root[3]) if root else b""
        self.minifat_bytes = self._chain_bytes(first_minifat, 1 << 40)
        self.minifat = list(struct.unpack(f"<{len(self.minifat_bytes) // 4}I",
                                          self.minifat_bytes[: len(self.minifat_bytes) // 4 * 4]))

    def _sector(self, n: int) -> bytes:
        off = (n + 1) * self.ss
        return self.data[off : off + self.ss]

    def _chain(self, start: int, table: list[int]) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        sec = start
        while sec < _END and sec < len(table) and sec not in seen and len(out) <= len(table):
            seen.add(sec)
            out.append(sec)
            sec = table[sec]
        if sec < _END and sec >= len(table) and sec not in seen:
            out.append(sec)  # last sector may lie beyond a short FAT: still readable
        return out

    def _chain_bytes(self, start: int, size: int) -> bytes:
        if start >= _END:
            return b""
        return b"".join(self._sector(s) for s in self._chain(start, self.fat))[:size]

    def _directory(self, first: int) -> list[tuple[str, int, int, int]]:
        raw = self._chain_bytes(first, 1 << 40)
        entries = []
        for off in range(0, len(raw) - 127, 128):
            name_len, kind = struct.unpack_from("<HB", raw, off + 64)
            start, size = struct.unpack_from("<IQ", raw, off + 116)
            name = raw[off : off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
            if kind in (1, 2, 5):
                entries.append((name, kind, start, size))
        return entries

    @property
    def stream_names(self) -> set[str]:
        """Names of all streams and storages (case as stored)."""
        return {name for name, kind, _, _ in self.entries if kind in (1, 2)}

    def read_stream(self, name: str, limit: int = 4096) -> bytes:
        """The first ``limit`` bytes of a stream (top-level or nested), or b'' when absent."""
        for ename, kind, start, size in self.entries:
            if kind != 2 or ename.lower() != name.lower():
                continue
            want = min(size & 0xFFFFFFFF, limit)
            if size >= self.cutoff:
                return self._chain_bytes(start, want)
            chunks = []
            for s in self._chain(start, self.minifat):
                chunks.append(self.ministream[s * self.mss : (s + 1) * self.mss])
                if sum(map(len, chunks)) >= want:
                    break
            return b"".join(chunks)[:want]
        return b""


def open_cfb(data: bytes) -> Cfb | None:
    """A :class:`Cfb`, or None when the bytes are not a readable compound file."""
    try:
        return Cfb(data)
    except (ValueError, struct.error, IndexError, MemoryError, OverflowError):
        return None


def word_encrypted(cfb: Cfb) -> bool:
    """Word 97+ FIB flag fEncrypted (bit 0x0100 of the 16-bit word at offset 10)."""
    head = cfb.read_stream("WordDocument", 16)
    return len(head) >= 12 and bool(struct.unpack_from("<H", head, 10)[0] & 0x0100)


def excel_encrypted(cfb: Cfb) -> bool:
    """A BIFF FILEPASS record (0x002F) among the first records of the workbook stream."""
    stream = cfb.read_stream("Workbook", 8192) or cfb.read_stream("Book", 8192)
    off = 0
    for _ in range(64):
        if off + 4 > len(stream):
            return False
        rtype, rlen = struct.unpack_from("<HH", stream, off)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A:  # EOF of the globals substream
            return False
        off += 4 + rlen
    return False
