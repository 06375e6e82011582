"""How a search runs: the stages in order and every knob they read (tuned on dev sets only)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_STAGES = ("dense", "lexical", "fuse", "feedback", "references")


@dataclass(frozen=True)
class SearchSettings:
    """How the two sides are combined (defaults tuned on the development sets only)."""

    # Hybrid search runs these stages in order (rag.search.stages.STAGES); a ranking
    # experiment is a change here (`python -m eval.run --set stages=dense,lexical,fuse`) or a
    # new stage registered there. dense and bm25 modes run one side and "rank" it.
    stages: tuple[str, ...] = DEFAULT_STAGES
    fusion: str = "rrf"
    dense_weight: float = 1.0
    lexical_weight: float = 2.0
    # Weight of BM25 for a query typed without diacritics (restored before both sides see it).
    accentless_lexical_weight: float = 1.0
    # A query whose words are mostly unknown to BM25 (English…) is left to the multilingual encoder.
    foreign_lexical_weight: float = 0.5
    foreign_coverage: float = 0.5  # below this share of known tokens a query counts as foreign
    rrf_k: int = 60
    depth: int = 100  # candidates taken from each side before fusion
    # Below this confidence the documents are taken not to contain the answer (calibrated on
    # party-gold dev: abstains on 3 of 10 unanswerable questions, wrongly on 3 of 69 answerable).
    abstain_below: float = 0.87
    # Cross-lingual similarities run lower: median best cosine of answerable dev questions is
    # .909 for Vietnamese and .849 for English ones, so foreign queries get this much added.
    foreign_confidence_offset: float = 0.06
    # A question naming a document ("Nghị quyết 57", "294-QĐ/TW") lifts that document's
    # clauses by this many first places of an extra ranking (rag.search.references); 0 disables.
    reference_weight: float = 1.0
    # Pseudo-relevance feedback on the dense side: the query vector plus this share of the
    # mean vector of the best ``feedback_depth`` fused clauses re-scores the candidates
    # (party-gold dev: .846 → .865 at .2–.3 with 3; 0 disables).
    feedback_weight: float = 0.3
    feedback_depth: int = 3
    # Query vectors kept for repeated questions (0 disables; benchmarks measure uncached).
    query_cache: int = 256
    # Embed an accentless query with the diacritics the corpus most likely means (rag.index.diacritics).
    restore_diacritics: bool = True
    # Score BM25 on the accented index with the restored query (else on the folded index).
    restore_lexical: bool = True
    # Add Vietnamese wording of known English terms to a foreign query (rag/data/en_vi.tsv)…
    translate: bool = True
    # …and embed that enriched text too (else the dense side sees the query as typed).
    translate_dense: bool = True
    # A clause this short with sub-clauses is a heading: in answers (and searches whose stages
    # name "headings") its best-ranked sub-clause, else its first, stands in for it.
    heading_chars: int = 150
    # Answers cite the clauses scoring at least this share of the best one's fused score (at
    # most k; the best and the ones the direct answer quotes always). Fused RRF scores are
    # flat, so the useful cut is high: party-gold dev (126 questions), citation precision
    # .28 → .64 and clauses per answer 4.9 → 1.8 from 0 to .985, success@1 unchanged.
    answer_cut: float = 0.985
    # A comparison (a question naming two or more documents) cites this many clauses of each.
    compare_each: int = 2
    # An answer about a document that others implement ("Nghị quyết 57") adds at most this many
    # clauses of those documents as "Được cụ thể hóa tại …" (rag.ingest.links); 0 disables.
    implementing_clauses: int = 2
