"""Resource limits on what is read and asked: one place, one set of documented defaults.

Every entry point (``rag ingest``, ``rag index``, the web app's upload and its ``/ask`` and
``/search`` endpoints) applies the same limits, so a file or a question that one path
refuses is refused by all of them with the same reason.

Defaults and why:

* ``max_bytes`` 50 MB per file: the largest real document in ../shared is 0.9 MB (a 45-page PDF).
* ``max_doc_chars`` 5,000,000 characters per document (a 2,000-page book), so one file
  cannot hold the whole index hostage.
* ``max_clauses`` 20,000 clauses per document (the Civil Code has ~700 articles).
* ``max_unzipped_bytes`` 200 MB for all parts of a ``.docx`` together (pictures included)
  and ``max_xml_bytes`` 25 MB for any one XML part: parsing XML costs ~30 bytes of memory
  per byte, so this keeps a document under ~1 GB.
* ``max_zip_ratio`` 100: a part over 1 MB that expands more than 100 times is a zip bomb
  (Word's own XML compresses 5–20 times).
* Questions: at most ``MAX_QUESTION_CHARS`` (2,000) characters; ``MAX_K`` (100) results.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import RagError

MB = 1024 * 1024
MAX_QUESTION_CHARS = 2000
MAX_K = 100


@dataclass(frozen=True)
class Limits:
    """Per-document limits applied while reading (see the module docstring for the defaults)."""

    max_bytes: int = 50 * MB
    max_doc_chars: int = 5_000_000
    max_clauses: int = 20_000
    max_unzipped_bytes: int = 200 * MB
    max_xml_bytes: int = 25 * MB
    max_zip_ratio: float = 100.0
    max_zip_members: int = 5_000


DEFAULT_LIMITS = Limits()


class QuestionTooLongError(RagError, ValueError):
    """A question over :data:`MAX_QUESTION_CHARS`; the message says so in Vietnamese and English."""


def check_question(text: str) -> None:
    """Refuse a question longer than :data:`MAX_QUESTION_CHARS` characters.

    Raises:
        QuestionTooLongError: With a message a person can act on.
    """
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionTooLongError(
            f"Câu hỏi dài {len(text):,} ký tự, vượt giới hạn {MAX_QUESTION_CHARS:,} ký tự; hãy rút gọn. "
            f"(The question has {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}.)")
