"""Data types of the unpack stage (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from parsers.model import Problem

# Problems that are only a notice: the part is still read (the pipeline checks this set).
NOTICE_ONLY: frozenset[str] = frozenset({"archive.unsafe_name"})


@dataclass
class Limits:
    """Why these numbers: a real submission is a few dozen files of a few MB each; anything far
    beyond that is a mistake or an attack, and must not take the daemon down."""

    max_part_bytes: int = 50 * 1024 * 1024  # one decompressed file
    max_total_bytes: int = 300 * 1024 * 1024  # all parts of one message together
    max_parts: int = 500  # files in one message, archives expanded
    max_depth: int = 4  # archive in archive in attached message ...
    max_ratio: int = 200  # decompressed / compressed size of one archive member
    # The ratio is only judged above this size: a few KB of blanks legitimately compress 500x,
    # and a small file cannot hurt us whatever its ratio.
    ratio_floor_bytes: int = 1024 * 1024


@dataclass
class Part:
    filename: str  # decoded, as the sender named it (archive members: path inside the archive)
    container: str | None  # filename of the archive / attached message it came out of; None = top level
    data: bytes
    format: str  # contract format: docx doc xlsx xls pdf wps et zip rar 7z eml msg tnef txt image other
    content_type: str = ""  # as declared (not trusted)
    problems: list[Problem] = field(default_factory=list)
    depth: int = 0
    #: False when the sender gave no file name and we made one up (``未命名附件3.pdf``, an attached
    #: message named by its subject), or when the name is a disguise (a program named ``申报表.docx``,
    #: :mod:`intake.unpack.disguise`): such a name is shown, but never classifies the file.
    named: bool = True


@dataclass
class Unpacked:
    message_id: str | None
    from_addr: str | None  # bare address, lower-cased
    from_name: str | None
    to_addrs: list[str]
    subject: str | None
    date: datetime | None  # Date: header, aware
    received: datetime | None  # date of the topmost Received: header, aware
    headers: list[tuple[str, str]]  # decoded headers, in order (for auto-reply detection)
    body_text: str
    parts: list[Part] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)  # mail-parser's defect list, kept in the ledger
    problems: list[Problem] = field(default_factory=list)
