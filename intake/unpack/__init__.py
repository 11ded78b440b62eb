"""Unpack: one raw RFC 5322 message → a flat list of parts (attachments, archive members, attached
messages), with names decoded as the sender wrote them and formats sniffed from the bytes.

Interface used by the pipeline (``intake/pipeline.py``)::

    unpacked = unpack_message(raw: bytes, limits: Limits | None = None) -> Unpacked

Never raises on bad input: broken MIME, corrupt/encrypted archives, bombs and path tricks become
:class:`parsers.model.Problem` entries on the part (or on ``Unpacked.problems``).
"""

from __future__ import annotations

from intake.unpack.types import Limits, Part, Unpacked


def unpack_message(raw: bytes, limits: Limits | None = None) -> Unpacked:
    """See :func:`intake.unpack.mime.unpack_message`; imported on first use, so a command that only
    needs the types (the config, ``intake --help``) does not load mail-parser and the readers."""
    from intake.unpack.mime import unpack_message as unpack

    return unpack(raw, limits)

__all__ = ["Limits", "Part", "Unpacked", "unpack_message"]
