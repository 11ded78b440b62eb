"""Unpack: one raw RFC 5322 message → a flat list of parts (attachments, archive members, attached
messages), with names decoded as the sender wrote them and formats sniffed from the bytes.

Interface used by the pipeline (``intake/pipeline.py``)::

    unpacked = unpack_message(raw: bytes, limits: Limits | None = None) -> Unpacked

Never raises on bad input: broken MIME, corrupt/encrypted archives, bombs and path tricks become
:class:`parsers.model.Problem` entries on the part (or on ``Unpacked.problems``).
"""

from intake.unpack.mime import unpack_message
from intake.unpack.types import Limits, Part, Unpacked

__all__ = ["Limits", "Part", "Unpacked", "unpack_message"]
