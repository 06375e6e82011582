"""Typed records passed between pipeline stages (frozen: a stage never edits another's output)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .vocab import OCR_LOW_CONFIDENCE


@dataclass(frozen=True)
class Clause:
    """One numbered item, heading or unnumbered paragraph of a document.

    Attributes:
        id: Stable identifier ``"{doc_id}#{path}"`` (``#2``, ``#3``… suffixes for split parts).
        doc_id: Identifier of the document (its path relative to the corpus root).
        path: Clause path such as ``II.2.6``, ``Điều 5.2.a`` or ``I¶2``.
        part: 1-based part number when a long clause was split at sentence boundaries.
        kind: ``roman``, ``alpha``, ``chuong``, ``muc``, ``dieu``, ``item``, ``point``,
            ``bullet``, ``paragraph`` or ``basis`` (the preamble's "Căn cứ …" lines, path ``Căn cứ``).
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

    @property
    def clause_id(self) -> str:
        """``{doc_id}#{path}``: the clause without its part suffix."""
        return f"{self.doc_id}#{self.path}"

    @classmethod
    def from_dict(cls, data: dict) -> Clause:
        """The clause of a :meth:`to_dict` dictionary (one line of an index's ``chunks.jsonl``)."""
        return cls(data["id"], data["doc_id"], data["path"], data.get("part", 1), data.get("kind", ""),
                   data.get("label", ""), tuple(data.get("headings", ())), data["text"],
                   data.get("start", 0), data.get("end", 0), data.get("page"))

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
    ocr: tuple[float | None, ...] = ()  # per page: mean OCR confidence 0-100, None = text layer

    @property
    def low_confidence_pages(self) -> tuple[int, ...]:
        """1-based pages read by OCR with a confidence under the threshold (to be checked)."""
        return low_pages(self.ocr)

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


def low_pages(ocr: tuple[float | None, ...]) -> tuple[int, ...]:
    """1-based pages whose OCR confidence is under :data:`rag.vocab.OCR_LOW_CONFIDENCE`."""
    return tuple(i + 1 for i, conf in enumerate(ocr) if conf is not None and conf < OCR_LOW_CONFIDENCE)


@dataclass(frozen=True)
class Rejection:
    """A file that could not be read, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class Hit:
    """One search result: a clause with its document's metadata and how it was scored.

    Attributes:
        rank: 1-based rank in the result list.
        score: Fused score (``hybrid``) or the single side's score.
        dense_score: Cosine similarity of the query and the clause, ``None`` if not scored.
        bm25_score: BM25 score, ``None`` when the lexical side did not match the clause.
        chunk_id: Id of the best-scoring chunk (a clause, or one part of a split clause).
        doc_id: Document id (its path relative to the corpus root).
        source: File path relative to the corpus root.
        path: Clause path (``II.2.6``, ``Điều 5.2.a``).
        headings: Heading trail above the clause, outermost first.
        text: Original clause text; the parts of a split clause that were retrieved are joined.
        page: 1-based page for PDFs.
        chunk_ids: Every chunk merged into this hit (parts of the same clause).
        clause_number: The clause's number as printed (``2.6``, ``a``), empty for paragraphs.
    """

    rank: int
    score: float
    dense_score: float | None
    bm25_score: float | None
    chunk_id: str
    doc_id: str
    source: str
    title: str | None
    number: str | None
    doc_type: str | None
    issuer: str | None
    date: str | None
    year: int | None
    path: str
    headings: tuple[str, ...]
    text: str
    page: int | None
    chunk_ids: tuple[str, ...] = ()
    clause_number: str = ""

    @property
    def clause_id(self) -> str:
        """``{doc_id}#{path}``: the clause without its part suffix (what relevance labels use)."""
        return f"{self.doc_id}#{self.path}"

    def to_dict(self) -> dict:
        """JSON-ready dictionary (``doc_type`` as everywhere, ``clause_id`` added)."""
        data = asdict(self)
        data["headings"] = list(self.headings)
        data["chunk_ids"] = list(self.chunk_ids)
        data["clause_id"] = self.clause_id
        return data
