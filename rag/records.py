"""Typed records passed between pipeline stages (frozen: a stage never edits another's output)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Clause:
    """One numbered item, heading or unnumbered paragraph of a document.

    Attributes:
        id: Stable identifier ``"{doc_id}#{path}"`` (``#2``, ``#3``… suffixes for split parts).
        doc_id: Identifier of the document (its path relative to the corpus root).
        path: Clause path such as ``II.2.6``, ``Điều 5.2.a`` or ``I¶2``.
        part: 1-based part number when a long clause was split at sentence boundaries.
        kind: ``roman``, ``alpha``, ``chuong``, ``muc``, ``dieu``, ``item``, ``point``,
            ``bullet`` or ``paragraph``.
        label: The number as printed (``2.6``, ``II``, ``a``), empty for paragraphs.
        headings: Titles of the headings above this clause, outermost first.
        text: Original text of the clause (NFC, not word-segmented).
        start: Character offset of the clause in the document's normalised text.
        end: End offset (exclusive).
        page: 1-based page for PDFs, else ``None``.
    """

    id: str
    doc_id: str
    path: str
    part: int
    kind: str
    label: str
    headings: tuple[str, ...]
    text: str
    start: int
    end: int
    page: int | None = None

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        data = asdict(self)
        data["headings"] = list(self.headings)
        return data


@dataclass(frozen=True)
class Document:
    """A read document with its metadata and clauses.

    Metadata fields are ``None`` when the text does not state them; ``date_source`` says
    where the date came from (``header``, ``body``, ``filename`` or ``override``).
    """

    id: str
    source: str
    format: str
    text: str
    doc_type: str | None = None
    number: str | None = None
    issuer: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd, or yyyy-mm / yyyy when the day is unknown
    date_source: str | None = None
    term: str | None = None
    signer: str | None = None
    title: str | None = None
    pages: int | None = None
    clauses: tuple[Clause, ...] = field(default=())

    @property
    def year(self) -> int | None:
        """Year of the document date, if known."""
        return int(self.date[:4]) if self.date else None

    def to_dict(self, *, with_clauses: bool = True, with_text: bool = False) -> dict:
        """JSON-ready dictionary (the full text only on request)."""
        data = {k: v for k, v in asdict(self).items() if k not in {"clauses", "text"}}
        data["year"] = self.year
        data["clause_count"] = len(self.clauses)
        if with_text:
            data["text"] = self.text
        if with_clauses:
            data["clauses"] = [c.to_dict() for c in self.clauses]
        return data


@dataclass(frozen=True)
class Rejection:
    """A file that could not be read, and why."""

    source: str
    reason: str
