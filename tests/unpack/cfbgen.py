"""A tiny Compound File (OLE2) writer, to build .doc/.xls/.wps/.et and encrypted-OOXML sniffing fixtures.

Only what sniffing and xlrd look at: a directory of streams, optionally inside storages. Streams are
padded to the 4096-byte mini-stream cutoff so everything lives in regular sectors; each storage's
children are a right-sibling chain (olefile and xlrd walk any binary tree).
"""

from __future__ import annotations

import math
import struct

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def make_cfb(streams: dict[str, bytes], exact: bool = False) -> bytes:
    """A compound file holding ``streams``; a name with ``/`` puts the stream in storages
    (``"ObjectPool/_1234/WordDocument"``: storage ObjectPool, storage _1234, stream WordDocument),
    as Excel stores an embedded object. Each storage's children are a right-sibling chain.

    ``exact``: every stream keeps its exact size, as Outlook writes a .msg: streams under the
    4096-byte cutoff live in the mini stream (64-byte mini sectors, a mini FAT), the others in
    regular sectors. Without it every stream is padded to 4096 bytes (all in regular sectors)."""
    ss, mss = 512, 64
    if exact:
        items = [(name, data) for name, data in streams.items()]
    else:
        items = [(name, data + b"\0" * (max(4096, len(data)) - len(data))) for name, data in streams.items()]
    # directory entries: (name, kind, parent index); kind 1 storage, 2 stream, 5 root
    nodes: list[tuple[str, int, int]] = [("Root Entry", 5, -1)]
    storages: dict[tuple[str, ...], int] = {(): 0}
    stream_node: list[int] = []
    for name, _ in items:
        path = tuple(name.split("/"))
        for depth in range(1, len(path)):
            if path[:depth] not in storages:
                storages[path[:depth]] = len(nodes)
                nodes.append((path[depth - 1], 1, storages[path[:depth - 1]]))
        stream_node.append(len(nodes))
        nodes.append((path[-1], 2, storages[path[:-1]]))
    small = [i for i, (_, d) in enumerate(items) if exact and 0 < len(d) < 4096]
    mini = b""
    minifat: list[int] = []
    mini_start: dict[int, int] = {}
    for i in small:
        d = items[i][1]
        k = -(-len(d) // mss)
        mini_start[i] = len(minifat)
        minifat += [len(minifat) + j + 1 for j in range(k - 1)] + [END]
        mini += d + b"\0" * (k * mss - len(d))
    n_minifat = math.ceil(len(minifat) * 4 / ss)
    minifat += [FREE] * (n_minifat * 128 - len(minifat))
    mini_padded = mini + b"\0" * (-len(mini) % ss)
    big = [i for i, (_, d) in enumerate(items) if i not in mini_start and d]
    blobs = {i: items[i][1] + b"\0" * (-len(items[i][1]) % ss) for i in big}
    n_dir = math.ceil(len(nodes) / 4)
    n_data = n_minifat + len(mini_padded) // ss + sum(len(b) // ss for b in blobs.values())
    n_fat = 1
    while n_fat * 128 < n_fat + n_dir + n_data:
        n_fat += 1
    fat = [FATSECT] * n_fat

    def chain(k: int) -> int:
        first = len(fat)
        fat.extend([len(fat) + j + 1 for j in range(k - 1)] + [END])
        return first

    first_dir = chain(n_dir)
    first_minifat = chain(n_minifat) if n_minifat else END
    mini_first = chain(len(mini_padded) // ss) if mini_padded else END
    starts: dict[int, tuple[int, int]] = {0: (mini_first, len(mini))}
    for i, (_, d) in enumerate(items):
        node = stream_node[i]
        if i in mini_start:
            starts[node] = (mini_start[i], len(d))
        elif i in blobs:
            starts[node] = (chain(len(blobs[i]) // ss), len(d))
        else:
            starts[node] = (END, 0)
    fat += [FREE] * (n_fat * 128 - len(fat))
    header = MAGIC + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, first_dir, 0, 4096, first_minifat, n_minifat, END, 0)
    header += struct.pack("<109I", *(list(range(n_fat)) + [FREE] * (109 - n_fat)))
    children: dict[int, list[int]] = {}
    for i, (_, _, parent) in enumerate(nodes):
        if parent >= 0:
            children.setdefault(parent, []).append(i)
    right: dict[int, int] = {}
    for kids in children.values():
        for a, b in zip(kids, kids[1:], strict=False):
            right[a] = b
    entries = []
    for i, (name, kind, _) in enumerate(nodes):
        start, size = starts.get(i, (0, 0))
        entries.append(_entry(name, kind, right.get(i, NOSTREAM), children.get(i, [NOSTREAM])[0], start, size))
    directory = b"".join(entries)
    directory += b"".join(_entry("", 0, NOSTREAM, NOSTREAM, FREE, 0) for _ in range(n_dir * 4 - len(entries)))
    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    body += struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    body += mini_padded + b"".join(blobs[i] for i in big)
    return header + body


def _entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le")
    name_field = (raw + b"\0\0").ljust(64, b"\0")
    name_len = len(raw) + 2 if name else 0
    return name_field + struct.pack("<HBBIII", name_len, kind, 1, NOSTREAM, right, child) + b"\0" * 36 + struct.pack(
        "<IQ", start, size
    )


def word_stream(encrypted: bool = False) -> bytes:
    """The start of a Word 97 FIB: wIdent, nFib, ..., flags with fEncrypted (0x0100)."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0, 0x0804, 0, flags) + b"\0" * 500


def workbook_stream(encrypted: bool = False) -> bytes:
    """BIFF8: a BOF record, a FILEPASS record when encrypted, then EOF."""
    out = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    if encrypted:
        out += struct.pack("<HH", 0x002F, 6) + b"\x01\x00\x01\x00\x01\x00"
    return out + struct.pack("<HH", 0x000A, 0)


def _record(rtype: int, body: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(body)) + body


def _biff_text(text: str, lenlen: int) -> bytes:
    """An XLUnicodeString: length, the fHighByte flag, UTF-16LE characters."""
    return struct.pack("<H" if lenlen == 2 else "<B", len(text)) + b"\x01" + text.encode("utf-16-le")


def biff8_workbook(sheet: str, cells: dict[tuple[int, int], str]) -> bytes:
    """A minimal valid BIFF8 ``Workbook`` stream, as Excel 97 lays it out: the globals substream
    (BOF, CODEPAGE, BOUNDSHEET, EOF), then one worksheet substream (BOF, DIMENSIONS, LABEL cells, EOF)."""
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0006))
    codepage = _record(0x0042, struct.pack("<H", 1200))
    eof = _record(0x000A, b"")

    def boundsheet(offset: int) -> bytes:
        return _record(0x0085, struct.pack("<IH", offset, 0) + _biff_text(sheet, 1))

    offset = len(bof_globals + codepage + boundsheet(0) + eof)
    rows = 1 + max((r for r, _ in cells), default=0)
    cols = 1 + max((c for _, c in cells), default=0)
    body = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x0006))
    body += _record(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))
    for (r, c), text in sorted(cells.items()):
        body += _record(0x0204, struct.pack("<HHH", r, c, 0x0F) + _biff_text(text, 2))
    return bof_globals + codepage + boundsheet(offset) + eof + body + eof


def word_fib_file(w_ident: int, n_fib: int, text: bytes, encrypted: bool = False, lid: int = 0x0409) -> bytes:
    """A non-complex Word 2.0 / 6.0 / 95 document: the FIB (wIdent, nFib, nProduct, lid, pnNext, flags;
    fcMin/fcMac/cbMac at 0x18, ccpText at 0x34), then the text itself from fcMin (8-bit, paragraphs
    ended by CR). Word 2.0 writes this as the whole file; Word 6/95 as the ``WordDocument`` stream
    of a compound file (see :func:`make_cfb`)."""
    fc_min = 0x180
    fib = bytearray(struct.pack("<HHHHHH", w_ident, n_fib, 0x0019 if n_fib < 0x65 else 0x00C0, lid, 0,
                                0x0100 if encrypted else 0))
    fib += b"\0" * (fc_min - len(fib))
    struct.pack_into("<III", fib, 0x18, fc_min, fc_min + len(text), fc_min + len(text) + 512)
    struct.pack_into("<I", fib, 0x34, len(text))
    return bytes(fib) + text + b"\0" * 512
