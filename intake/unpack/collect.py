"""Flattening one message's attachments into parts, opening containers recursively under the limits.

Why one collector per message: the limits that protect the daemon (total bytes, number of parts)
are per message, whatever mix of MIME parts, archives and attached messages they come in; the
collector is the one place that counts them. Containers are listed before their members.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator

from intake.unpack import disguise
from intake.unpack.archives import READERS as ARCHIVE_READERS
from intake.unpack.archives import Member
from intake.unpack.outlook import BodyText, Item, msg_members, tnef_members
from intake.unpack.sniff import sniff
from intake.unpack.types import Limits, Part
from parsers.model import Problem

#: Containers opened here (members listed with ``container`` = the container's name): archives,
#: Outlook's TNEF (winmail.dat) and attached Outlook items (.msg); attached messages go to ``open_message``
READERS: dict[str, Callable[[bytes, Limits, Callable[[], int]], Generator[Item, None, None]]] = {
    **ARCHIVE_READERS, "tnef": tnef_members, "msg": msg_members}
CONTAINERS = (*READERS, "eml")


def unsafe_name(original: str, used: str) -> Problem:
    """The one notice for a name that carried a path (``../../x.docx``, ``C:\\temp\\x.docx``), whether
    a MIME attachment's or an archive member's: the file is read by ``used``, the original is quoted."""
    return Problem("archive.unsafe_name", f"原名称“{disguise.shown(original)}”，已按“{used}”读取")


class Collector:
    """Sniffs each part, keeps it, and expands archives and attached messages into more parts."""

    def __init__(self, limits: Limits, open_message: Callable[[Part, Collector], None]) -> None:
        self.limits = limits
        self.parts: list[Part] = []
        self.total = 0
        self._open_message = open_message
        #: bodies of the items opened (a .msg's text), for the download-link search
        self.bodies: list[tuple[str, str]] = []

    def room(self) -> int:
        """Bytes still allowed for this message."""
        return max(0, self.limits.max_total_bytes - self.total)

    def add(self, part: Part) -> bool:
        """Keep ``part`` (and expand it when it is a container). False when the message already has
        ``max_parts`` parts: the caller reports ``archive.too_many`` on whatever it was expanding."""
        if len(self.parts) >= self.limits.max_parts:
            return False
        sniffed = sniff(part.data, part.filename, part.content_type)
        part.format = sniffed.format
        part.problems.extend(sniffed.problems)
        disguise.inspect(part)  # a program dressed as a document: never read, expanded or classified
        if not part.data and not part.problems:
            part.problems.append(Problem("document.empty", "文件为空（0 字节）"))
        self.parts.append(part)
        self.total += len(part.data)
        if part.format in CONTAINERS and part.data:
            self._expand(part)
        return True

    def _expand(self, container: Part) -> None:
        if container.depth + 1 > self.limits.max_depth:
            container.problems.append(
                Problem("archive.too_deep", f"嵌套超过 {self.limits.max_depth} 层（压缩包/邮件套压缩包），未再展开")
            )
            return
        if container.format == "eml":
            self._open_message(container, self)
            return
        items = READERS[container.format](container.data, self.limits, self.room)
        try:
            for item in self._guarded(items, container):
                if isinstance(item, Problem):
                    container.problems.append(item)
                    continue
                if isinstance(item, BodyText):
                    self.bodies.append((item.ctype, item.text))
                    continue
                part = self.member_part(item, container)
                if item.unsafe_name is not None:
                    part.problems.append(unsafe_name(item.unsafe_name, item.name))
                if not self.add(part):
                    self.too_many(container)
                    break
        finally:
            items.close()

    @staticmethod
    def _guarded(items: Iterator[Item], container: Part) -> Iterator[Item]:
        """The archive libraries raise their own exception types on hostile input; one bad archive
        becomes ``archive.corrupt`` on its part and never loses the rest of the message."""
        try:
            yield from items
        except Exception as e:
            yield Problem("archive.corrupt", f"无法读取压缩包：{type(e).__name__}: {e}")

    @staticmethod
    def member_part(member: Member, container: Part) -> Part:
        # a member's name is the one its container stores: the sender's (unless it stores none)
        return Part(member.name, container.filename, member.data, format="other",
                    problems=list(member.problems), depth=container.depth + 1, named=member.named)

    def too_many(self, container: Part | None, problems: list[Problem] | None = None) -> None:
        """Report the part-count limit once, on the container (or the message's problem list)."""
        target = container.problems if container is not None else problems
        if target is not None and not any(p.rule == "archive.too_many" for p in target):
            target.append(Problem("archive.too_many", f"文件数超过上限 {self.limits.max_parts} 个，其余未处理"))
