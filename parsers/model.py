"""The neutral document model every reader produces and every form extractor consumes.

Readers (``parsers/readers``) turn a file format into a :class:`Document`; they never decide
what a form means. Extractors (``parsers/forms``) read values by their labels from this model,
whatever the original format was. Keeping one small model in between is what lets a .doc, a
.docx, a PDF and an .xlsx copy of the same form give the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """Something wrong with a file or a message part, before any campaign rule is applied.

    ``rule`` is a stable id that the campaign rule file maps to a Chinese message
    (e.g. ``document.unreadable``, ``document.encrypted``, ``document.scanned``,
    ``archive.too_large``). ``detail`` is a short technical reason, shown to staff.
    """

    rule: str
    detail: str = ""
    field: str | None = None


@dataclass
class Table:
    """A table as a rectangular grid of cell texts.

    Merged cells are resolved: every grid position covered by a merged cell holds that cell's
    text (so "the value right of / below a label" means the next *different* cell, see
    :meth:`right_of` / :meth:`below`). Nested tables are listed in ``nested`` and also appear
    in :attr:`Document.blocks` right after their parent; the parent cell's text excludes them.
    """

    grid: list[list[str]]
    nested: list[Table] = field(default_factory=list)
    #: Text a person set off inside a cell by highlighting, shading, bold or underline (Word only), by
    #: grid position: how the chosen 课题类型 of ``问题解决型 创新型`` is often marked. A wholly
    #: emphasised cell (a bold header) is not listed; extractors decide what a fragment means.
    emphasis: dict[tuple[int, int], list[str]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.grid)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.grid), default=0)

    def cell(self, r: int, c: int) -> str:
        """Text at (r, c), or '' outside the grid."""
        if 0 <= r < len(self.grid) and 0 <= c < len(self.grid[r]):
            return self.grid[r][c]
        return ""

    def right_of(self, r: int, c: int) -> tuple[int, int] | None:
        """Position of the next cell to the right that is not the same (merged) cell."""
        row = self.grid[r] if 0 <= r < len(self.grid) else []
        own = self.cell(r, c)
        for cc in range(c + 1, len(row)):
            if row[cc] != own:
                return r, cc
        return None

    def below(self, r: int, c: int) -> tuple[int, int] | None:
        """Position of the next cell below that is not the same (merged) cell."""
        own = self.cell(r, c)
        for rr in range(r + 1, len(self.grid)):
            if self.cell(rr, c) != own:
                return rr, c
        return None

    def text(self) -> str:
        """All distinct cell texts, row by row (merged cells once), for classification."""
        out: list[str] = []
        for row in self.grid:
            prev = None
            for t in row:
                if t != prev and t:
                    out.append(t)
                prev = t
        return "\n".join(out)


Block = str | Table


@dataclass
class Division:
    """Where a natural division of the file begins: a worksheet, a PDF page, a Word section.

    Readers mark them and never decide what they mean; the splitter (:mod:`parsers.forms.split`)
    decides whether the file holds several forms. ``start`` is the index in
    :attr:`Document.blocks` of the division's first block (it runs to the next division's start);
    ``kind`` is ``sheet``, ``page`` or ``section``; ``label`` is what a person calls it (the sheet's
    name, the page number), empty when there is none.
    """

    start: int
    kind: str
    label: str = ""


@dataclass
class Document:
    """One file's content: paragraphs and tables in reading order, plus what the reader noticed.

    ``text_trusted`` is False when the text cannot be relied on (scanned PDF, fonts without a
    ToUnicode map giving ``(cid:NNN)``); extractors then return nothing and staff review it.
    ``meta`` carries reader observations that rules may use, e.g. ``pages``, ``scanned``,
    ``seal_detected`` (bool, PDFs only), ``converted_from`` ('doc', 'wps', ...).
    ``divisions``: where its sheets, pages or sections begin (in block order; may be empty).
    """

    blocks: list[Block] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    text_trusted: bool = True
    meta: dict = field(default_factory=dict)
    divisions: list[Division] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [b for b in self.blocks if isinstance(b, str)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def text(self) -> str:
        """The whole document as plain text (paragraphs and table cells), for classification."""
        parts = [b if isinstance(b, str) else b.text() for b in self.blocks]
        return "\n".join(p for p in parts if p)
