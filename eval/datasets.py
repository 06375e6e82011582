"""Evaluation datasets in BEIR layout (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``).

* ``party-gold``: the team's questions over ``../shared/corpus/party`` (``eval/party_gold/``),
  judged at clause level (``{doc_id}#{path}``); the corpus is the project's own clauses.
* ``alqac2023``: ALQAC 2023 Task 1 articles from ``../shared/benchmarks/alqac2023``; every
  article becomes one document file (``Điều N. title`` + body) so the normal pipeline
  chunks it; hits are scored at article level (a document's best chunk).

Data that comes from ``../shared`` is rebuilt under ``eval/out/`` at run time and never
committed. Every text is NFC-normalised on the way in.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.ingest.documents import document_from_text
from rag.records import Document
from rag.text import normalize_query, normalize_text

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
# The shared development data: $RAG_SHARED, else ../shared beside the checkout.
SHARED = Path(os.environ.get("RAG_SHARED") or ROOT.parent / "shared")
OUT = EVAL_DIR / "out"
PARTY_GOLD = EVAL_DIR / "party_gold"
ALQAC = SHARED / "benchmarks" / "alqac2023"
NAMES = ("party-gold", "alqac2023")


class DatasetUnavailable(RuntimeError):
    """The data a dataset is built from is absent (e.g. ``../shared`` on a user's machine)."""


@dataclass
class Dataset:
    """Queries, judgments and the folder of documents to index.

    Attributes:
        name: Dataset name.
        corpus_dir: Folder indexed with :func:`rag.build_index` (``None`` when ``documents`` are given).
        queries: Query id → text as given to the search engine.
        info: Query id → metadata (``split``, ``category``, ``answerable``…).
        qrels: Split → query id → judged id → relevance grade.
        doc_key: Maps a :class:`rag.Hit` to the id used in the qrels.
        work_dir: Where the BEIR files and derived data are written.
        documents: Documents indexed from memory (``build_index(documents=…)``) instead of a folder.
        sentence_pooling: Sentence vectors of its index (``rag index --sentence-pooling``):
            only party-gold measures the direct answer, so only its index stores them.
    """

    name: str
    corpus_dir: Path | None
    queries: dict[str, str]
    info: dict[str, dict]
    qrels: dict[str, dict[str, dict[str, int]]]
    doc_key: Callable
    work_dir: Path
    extra: dict = field(default_factory=dict)
    documents: list[Document] | None = None
    sentence_pooling: str = "none"

    def split_ids(self, split: str) -> list[str]:
        """Query ids of a split, answerable and unanswerable, in file order."""
        if split not in self.qrels:
            raise ValueError(f"{self.name} has no split {split!r}; it has {sorted(self.qrels)}")
        return [q for q in self.queries if self.info[q].get("split") == split]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read a BEIR qrels TSV (``query-id corpus-id score`` with a header line)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[normalize_text(row["corpus-id"])] = int(row["score"])
    return qrels


def write_beir(folder: Path, corpus: list[dict], queries: list[dict], qrels: dict[str, dict]) -> None:
    """Write ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` under ``folder``."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        with open(folder / name, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    for split, table in qrels.items():
        with open(folder / "qrels" / f"{split}.tsv", "w", encoding="utf-8") as handle:
            handle.write("query-id\tcorpus-id\tscore\n")
            for qid, docs in table.items():
                for doc, grade in docs.items():
                    handle.write(f"{qid}\t{doc}\t{grade}\n")


def party_gold() -> Dataset:
    """The team's clause-level questions over ``../shared/corpus/party``."""
    corpus = SHARED / "corpus" / "party"
    if not corpus.is_dir():
        raise DatasetUnavailable(f"party-gold needs {corpus} (../shared is absent)")
    queries, info = {}, {}
    with open(PARTY_GOLD / "queries.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                queries[row["_id"]] = normalize_query(row["text"])
                meta = dict(row.get("metadata", {}))
                meta["answerable"] = meta.get("category") != "absent"
                info[row["_id"]] = meta
    qrels = {split: read_qrels(PARTY_GOLD / "qrels" / f"{split}.tsv") for split in ("dev", "test")}
    return Dataset("party-gold", corpus, queries, info, qrels, doc_key=lambda hit: hit.clause_id,
                   work_dir=OUT / "datasets" / "party-gold", sentence_pooling="apart")


_QUIZ_TAIL = re.compile(r"[,.;:]?\s*(?:đúng hay sai|đúng hoặc sai|đúng không|phải không)\s*\??\s*$", re.I)
_CHOOSE = re.compile(r"\s*(?:Chọn|Hãy chọn)\s+(?:câu trả lời|đáp án|phương án)[^.?]*[.?]?\s*$", re.I)
_GENERIC_CHOICE = re.compile(r"^(?:Cả|Tất cả|Không có)\b.*(?:đúng|sai|trên)\.?$", re.I)


def clean_question(text: str, choices: dict[str, str] | None = None, *, with_choices: bool = True) -> str:
    """Strip quiz wrappers ("…, đúng hay sai?", "Chọn câu trả lời đúng nhất.") and add the options.

    Options such as "Cả A, B đều đúng" carry no content and are dropped; the others name
    what the relevant article talks about, so they are appended when ``with_choices``.
    """
    text = normalize_query(text)
    text = _CHOOSE.sub("", _QUIZ_TAIL.sub("", text)).strip()
    if with_choices and choices:
        options = [normalize_query(v) for _, v in sorted(choices.items())]
        options = [o for o in options if o and not _GENERIC_CHOICE.match(o)]
        if options:
            text = f"{text} {' '.join(options)}"
    return text


def _article_file(key: str) -> str:
    law, article = key.rsplit("@", 1)
    slug = hashlib.sha1(law.encode("utf-8")).hexdigest()[:8]
    return f"{slug}/dieu-{article}.txt"


def alqac2023(questions: Path | None = None, *, split: str = "dev", with_choices: bool = True) -> Dataset:
    """ALQAC 2023 articles as documents, scored at article level.

    Args:
        questions: A question file in the format of ``train.json`` (``question_id``,
            ``text``, ``relevant_articles``; optional ``choices``); default ``train.json``.
        split: Name given to these questions' split.
        with_choices: Append multiple-choice options to the question text.
    """
    articles_path = ALQAC / "all_articles_2023.json"
    if not articles_path.is_file():
        raise DatasetUnavailable(f"alqac2023 needs {articles_path} (../shared is absent)")
    questions = Path(questions) if questions else ALQAC / "train.json"
    work = OUT / "datasets" / "alqac2023"
    articles = json.loads(articles_path.read_text("utf-8"))
    by_file, corpus_rows, documents = {}, [], []
    for key, raw in articles.items():
        key = normalize_text(key)
        law, number = key.rsplit("@", 1)
        text = normalize_text(raw).strip()
        title, _, body = text.partition("\n")
        document = f"{law.upper()}\n\nĐiều {number}. {title.strip()}\n\n{body.strip()}\n"
        name = _article_file(key)
        by_file[name] = key
        documents.append(document_from_text(name, document))
        corpus_rows.append({"_id": key, "title": f"{law} Điều {number}. {title.strip()}",
                            "text": body.strip()})
    queries, info, qrels = {}, {}, {split: {}}
    for row in json.loads(Path(questions).read_text("utf-8")):
        qid = str(row["question_id"])
        queries[qid] = clean_question(row["text"], row.get("choices"), with_choices=with_choices)
        info[qid] = {"split": split, "category": row.get("question_type", ""), "answerable": True,
                     "raw": normalize_query(row["text"])}
        qrels[split][qid] = {normalize_text(f"{a['law_id']}@{a['article_id']}"): 1
                             for a in row["relevant_articles"]}
    write_beir(work / "beir", corpus_rows,
               [{"_id": q, "text": t, "metadata": info[q]} for q, t in queries.items()], qrels)
    return Dataset("alqac2023", None, queries, info, qrels,
                   doc_key=lambda hit: by_file.get(hit.doc_id, hit.doc_id), work_dir=work,
                   extra={"questions": str(questions), "with_choices": with_choices}, documents=documents)


def load(name: str, **kwargs) -> Dataset:
    """Dataset by name (``party-gold`` or ``alqac2023``)."""
    if name == "party-gold":
        return party_gold()
    if name == "alqac2023":
        return alqac2023(**kwargs)
    raise ValueError(f"unknown dataset {name!r}; expected one of {NAMES}")
