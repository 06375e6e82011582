"""Typed rows of an index: chunks, documents and the version's meta.

One :class:`ChunkRow` per line of ``chunks.jsonl``, one :class:`DocRow` per line of
``documents.jsonl``, and the :class:`Meta` of ``meta.json``.

Every reader of an index gets these records, never the raw JSON: a field renamed or
added here is renamed or added for the search, the app, the CLI and the benchmark at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..records import Clause, Document, low_pages

ChunkRow = Clause
"""One indexed chunk — a clause, or one part of a clause split at sentence boundaries — is the
:class:`rag.records.Clause` it was read as (``Clause.from_dict`` reads a ``chunks.jsonl`` line)."""


@dataclass(frozen=True, slots=True)
class DocRow:
    """One indexed document: its metadata, full text and the hash it was indexed from.

    Attributes:
        sha256: Hash of the source file's bytes and metadata override (of the text and
            metadata for a document indexed from memory); a changed hash re-indexes it.
        clause_count: Clauses read from the document (a split clause counts once).
    """

    id: str
    source: str
    format: str
    text: str
    sha256: str
    doc_type: str | None = None
    number: str | None = None
    issuer: str | None = None
    date: str | None = None
    date_source: str | None = None
    term: str | None = None
    signer: str | None = None
    title: str | None = None
    pages: int | None = None
    clause_count: int = 0
    ocr: tuple[float | None, ...] = ()  # per page: OCR confidence, None for a text-layer page

    @property
    def year(self) -> int | None:
        """Year of the document date, if known."""
        return int(self.date[:4]) if self.date else None

    @classmethod
    def from_document(cls, doc: Document, sha256: str) -> DocRow:
        """The row of a read document."""
        return cls(doc.id, doc.source, doc.format, doc.text, sha256, doc.doc_type, doc.number, doc.issuer,
                   doc.date, doc.date_source, doc.term, doc.signer, doc.title, doc.pages, len(doc.clauses),
                   tuple(doc.ocr))

    @classmethod
    def from_dict(cls, data: dict) -> DocRow:
        """The row of one parsed ``documents.jsonl`` line."""
        row = {f.name: data.get(f.name, _default(f)) for f in fields(cls)}
        row["ocr"] = tuple(row["ocr"] or ())
        return cls(**row)

    @property
    def low_confidence_pages(self) -> tuple[int, ...]:
        """1-based pages read by OCR with a confidence under the threshold (to be checked)."""
        return low_pages(self.ocr)

    def to_dict(self) -> dict:
        """The ``documents.jsonl`` line of this row (``year`` added for readers of the file)."""
        data = asdict(self)
        data["year"] = self.year
        return data


class LazyDocRow(DocRow):
    """A :class:`DocRow` whose ``text`` is read from the index when asked for, not kept in memory.

    The embedded backend gives these for large indexes' documents (their texts run to
    hundreds of MB at a million clauses). Every field but ``text`` is held; ``text`` calls
    ``load(id)`` each time. ``dataclasses.replace`` of one gives a plain :class:`DocRow`.
    """

    __slots__ = ("_load",)

    def __new__(cls, *args, **kwargs):
        """Called as a dataclass (``dataclasses.replace``): a plain row with the text in it."""
        return DocRow(*args, **kwargs)

    @classmethod
    def of(cls, data: dict, load) -> LazyDocRow:
        """The row of one ``documents.jsonl`` line's fields but its text, read later by ``load(id)``."""
        row = object.__new__(cls)
        plain = DocRow.from_dict({**data, "text": ""})
        for f in fields(DocRow):
            if f.name != "text":
                object.__setattr__(row, f.name, getattr(plain, f.name))
        object.__setattr__(row, "_load", load)
        return row

    @property
    def text(self) -> str:  # type: ignore[override]
        """The document's full text, read from the index."""
        return self._load(self.id)

    def __eq__(self, other) -> bool:
        """Equal to any row (lazy or not) with the same fields, text included."""
        if not isinstance(other, DocRow):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(DocRow))

    __hash__ = DocRow.__hash__

    def __reduce__(self):
        return DocRow, tuple(getattr(self, f.name) for f in fields(DocRow))


def _default(f):
    if f.name == "ocr":
        return ()
    return "" if f.name in {"text", "sha256", "format"} else (0 if f.name == "clause_count" else None)


@dataclass(frozen=True)
class Meta:
    """What ``meta.json`` says about an index version.

    Attributes:
        format: Index format version (:data:`rag.index.format.FORMAT_VERSION`).
        model: Embedding model: ``name``, ``dimension``, ``source``, ``engine`` and prompts.
        backend: Storage backend that holds the vectors and BM25 (``embedded``).
        settings: Chunker and tokeniser settings; a change re-embeds everything.
        lexical: BM25 parameters.
        faiss: FAISS ``kind`` and ``metric``.
        corpus: The corpus folder and its mounts (``Corpus.describe``), or a note for
            documents indexed from memory.
        counts: ``documents`` and ``chunks``.
        files: Per document id: ``sha256``, ``bytes``, ``chunks``.
        rejected: ``source`` and ``reason`` of each file that could not be read.
        versions: Python and package versions.
        checksums: Size and sha256 of every other file of the version.
        milvus: For the ``milvus`` backend: the ``uri`` (never a token), ``collection`` and
            ``next_row`` (the next free primary key).
        extra: Keys this version of the code does not know (kept when written back).
    """

    format: int
    model: dict
    backend: str = "embedded"
    normalization: str = ""
    settings: dict = field(default_factory=dict)
    lexical: dict = field(default_factory=dict)
    faiss: dict = field(default_factory=dict)
    corpus: dict | str | None = None
    counts: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    rejected: list = field(default_factory=list)
    versions: dict = field(default_factory=dict)
    built_at: str = ""
    build_seconds: float = 0.0
    checksums: dict = field(default_factory=dict)
    milvus: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        """Name of the embedding model the version was built with."""
        return self.model.get("name", "")

    @property
    def dimension(self) -> int:
        """Vector dimension of the embedding model."""
        return int(self.model.get("dimension", 0))

    @classmethod
    def from_dict(cls, data: dict) -> Meta:
        """The meta of a parsed ``meta.json``.

        Raises:
            ValueError: When ``format`` or ``model`` is missing.
        """
        if not isinstance(data, dict) or "format" not in data or not isinstance(data.get("model"), dict):
            raise ValueError("meta.json lacks 'format' or 'model'")
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   extra={k: v for k, v in data.items() if k not in known})

    def to_dict(self) -> dict:
        """The JSON object written to ``meta.json``."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        if not data["milvus"]:  # only the milvus backend has one
            del data["milvus"]
        return {**data, **self.extra}
