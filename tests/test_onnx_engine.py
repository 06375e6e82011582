"""The ONNX Runtime engine: the hand-built graph against a numpy BERT, caching, no torch."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from rag.models.e5s1 import Header


def tiny_bert(rng: np.random.Generator, hidden=8, layers=2, heads=2, ff=16):
    header = Header(version=1, hidden=hidden, layers=layers, heads=heads, ff=ff, vocab=11,
                    max_positions=16, type_vocab=2, eps=1e-12, block=32)
    state = {"embeddings.LayerNorm.weight": rng.normal(1, 0.1, hidden),
             "embeddings.LayerNorm.bias": rng.normal(0, 0.1, hidden)}
    shapes = {"attention.self.query": (hidden, hidden), "attention.self.key": (hidden, hidden),
              "attention.self.value": (hidden, hidden), "attention.output.dense": (hidden, hidden),
              "intermediate.dense": (ff, hidden), "output.dense": (hidden, ff)}
    for i in range(layers):
        for name, shape in shapes.items():
            state[f"encoder.layer.{i}.{name}.weight"] = rng.normal(0, 0.5, shape)
            state[f"encoder.layer.{i}.{name}.bias"] = rng.normal(0, 0.1, shape[0])
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            state[f"encoder.layer.{i}.{name}.weight"] = rng.normal(1, 0.1, hidden)
            state[f"encoder.layer.{i}.{name}.bias"] = rng.normal(0, 0.1, hidden)
    return header, {k: v.astype(np.float32) for k, v in state.items()}


def numpy_bert(state, h, x, mask):
    """Textbook BERT encoder (post-LayerNorm, erf GELU) on one unpadded sequence."""
    def ln(v, name):
        mu, var = v.mean(-1, keepdims=True), v.var(-1, keepdims=True)
        return (v - mu) / np.sqrt(var + h.eps) * state[name + ".weight"] + state[name + ".bias"]

    def lin(v, name):
        return v @ state[name + ".weight"].T + state[name + ".bias"]

    x = ln(x.astype(np.float64), "embeddings.LayerNorm")
    d = h.hidden // h.heads
    erf = np.vectorize(math.erf)
    for i in range(h.layers):
        p = f"encoder.layer.{i}."
        q, k, v = (lin(x, p + f"attention.self.{n}").reshape(-1, h.heads, d).transpose(1, 0, 2)
                   for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d) + (mask - 1.0) * 10000.0
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        context = (weights @ v).transpose(1, 0, 2).reshape(-1, h.hidden)
        x = ln(lin(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = lin(x, p + "intermediate.dense")
        x = ln(lin(0.5 * inner * (1 + erf(inner / math.sqrt(2))), p + "output.dense") + x,
               p + "output.LayerNorm")
    return x


def test_graph_matches_a_numpy_bert_with_and_without_padding():
    from rag.models.onnx_engine import build_graph

    rng = np.random.default_rng(7)
    header, state = tiny_bert(rng)
    session = ort.InferenceSession(build_graph(state, header).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    lengths = [5, 3, 1]
    x = rng.normal(0, 1, (3, 5, header.hidden)).astype(np.float32)
    mask = np.array([[1.0] * n + [0.0] * (5 - n) for n in lengths], dtype=np.float32)
    hidden = session.run(["hidden"], {"embeddings": x, "mask": mask})[0]
    assert hidden.shape == (3, 5, header.hidden)
    for row, n in enumerate(lengths):
        # Padding must not leak into the real tokens: compare with the unpadded sequence.
        expected = numpy_bert(state, header, x[row, :n], np.ones(n))
        np.testing.assert_allclose(hidden[row, :n], expected, atol=2e-4)


@pytest.mark.slow
def test_export_is_cached_and_the_engine_never_imports_torch(tmp_path):
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from rag.models.onnx_engine import OnnxEngine\n"
        "e = OnnxEngine()\n"
        "v = e.encode(['Đại hội Đảng bộ', 'chống khai thác IUU ' * 400], is_query=False)\n"
        "print(v.shape, round(float((v * v).sum(1).min()), 4), 'torch' in sys.modules)\n"
    )
    env = {"RAG_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           timeout=600, check=True)
    assert "Writing the ONNX encoder" in first.stderr  # logged; stdout holds only what the program prints
    assert first.stdout.strip().splitlines() == ["(2, 384) 1.0 False"]
    [folder] = [p for p in (tmp_path / "cache" / "models").glob("*-onnx*") if p.is_dir()]
    assert {p.name for p in folder.iterdir()} == {"encoder.onnx", "word_embeddings.f32", "embeddings.npz",
                                                  "vocab.json", "export.json"}
    stamp = (folder / "export.json").stat().st_mtime_ns
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            timeout=600, check=True)
    assert "Writing" not in second.stderr
    assert (folder / "export.json").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.slow
def test_batches_with_padding_equal_one_text_at_a_time(default_embedder, founding_paragraphs):
    if default_embedder.info.engine != "onnx":
        pytest.fail(f"the default engine should be onnx, got {default_embedder.info.engine}")
    texts = founding_paragraphs[:20]
    together = default_embedder.encode_passages(texts)
    alone = np.vstack([default_embedder.encode_passages([t]) for t in texts])
    assert (together * alone).sum(axis=1).min() > 0.99999


@pytest.mark.slow
def test_sentence_vectors_come_from_the_clause_pass(default_embedder, founding_paragraphs):
    from rag.text import normalize_text, sentence_spans

    texts = [normalize_text(t).strip() for t in founding_paragraphs[:12]]
    spans = [sentence_spans(t) for t in texts]
    engine = default_embedder._engine
    for text, cuts in zip(texts, spans, strict=True):  # piece-wise tokenising equals the whole text's ids
        assert engine._span_ids(text, cuts)[0] == engine._tokenizer.encode(engine.passage_prompt + text)
    vectors, sentence_vectors = default_embedder.encode_passage_spans(texts, spans, late=True)
    assert np.abs(vectors - default_embedder.encode_passages(texts)).max() < 1e-5
    assert [len(v) for v in sentence_vectors] == [len(c) for c in spans]
    assert np.allclose(np.linalg.norm(np.vstack(sentence_vectors), axis=1), 1.0, atol=1e-4)
    # One span over the whole text pools nearly the passage's own tokens (all but <s>, </s>, the prompt).
    _, whole = default_embedder.encode_passage_spans(texts, [[(0, len(t))] for t in texts], late=True)
    assert (np.vstack(whole) * vectors).sum(axis=1).min() > 0.98
    apart = default_embedder.encode_passage_spans(texts, spans)[1]
    assert np.abs(np.vstack(apart) - default_embedder.encode_passages(
        [t[a:b] for t, cuts in zip(texts, spans, strict=True) for a, b in cuts])).max() < 1e-5


@pytest.mark.slow
def test_int8_weights_keep_the_vectors_and_are_labelled_apart(founding_paragraphs, monkeypatch):
    from rag.index.embed_cache import fingerprint
    from rag.models.embedding import Embedder
    from rag.models.onnx_engine import INT8_FILE

    monkeypatch.setenv("RAG_PRECISION", "int8")
    quantised = Embedder(engine="onnx")
    assert quantised.info.engine == "onnx-int8" and (Path(quantised.info.path) / INT8_FILE).exists()
    monkeypatch.setenv("RAG_PRECISION", "fp32")
    full = Embedder(engine="onnx")
    assert full.info.engine == "onnx"
    assert fingerprint(quantised.info) != fingerprint(full.info)
    texts = founding_paragraphs[:40]
    cosine = (quantised.encode_passages(texts) * full.encode_passages(texts)).sum(axis=1)
    assert cosine.min() >= 0.99
    query = "nhiệm vụ chống khai thác IUU"
    assert float(quantised.encode_query(query) @ full.encode_query(query)) >= 0.99
    monkeypatch.setenv("RAG_PRECISION", "fp16")
    with pytest.raises(ValueError, match="unknown precision"):
        Embedder(engine="onnx")


@pytest.mark.slow
def test_bf16_vectors_equal_fp32_and_run_on_openvino_only(founding_paragraphs, monkeypatch):
    from rag.models.embedding import Embedder
    from rag.models.openvino_runtime import OpenVinoSession, bf16_supported

    if not bf16_supported():
        pytest.skip("this CPU has no bfloat16 units (amx_bf16 / avx512_bf16) or openvino is missing")
    monkeypatch.delenv("RAG_PRECISION", raising=False)
    fast = Embedder(engine="onnx")  # auto: bf16 here
    assert fast.info.engine == "onnx" and fast.info.precision == "bf16"  # shares fp32's label and cache
    monkeypatch.setenv("RAG_PRECISION", "fp32")
    full = Embedder(engine="onnx")
    queries = ["nhiệm vụ chống khai thác IUU", "chong khai thac hai san bat hop phap",
               "which tasks concern IUU fishing?", founding_paragraphs[3]]
    for query in queries:
        assert float(fast.encode_query(query) @ full.encode_query(query)) >= 0.9999, query
    engine = fast._engine
    assert isinstance(engine._ov_session, OpenVinoSession) and engine._ort_session is None
    # A query is padded to the next bucket length; the padding changes nothing.
    bucketed = fast.encode_query(queries[0])
    monkeypatch.setattr(engine, "_length", lambda longest, bucket: longest)
    np.testing.assert_allclose(fast.encode_query(queries[0]), bucketed, atol=2e-3)
    texts = founding_paragraphs[:40]
    cosine = (fast.encode_passages(texts) * full.encode_passages(texts)).sum(axis=1)
    assert cosine.min() >= 0.9995


def test_auto_precision_is_fp32_without_openvino(monkeypatch):
    import importlib.util

    from rag.models import openvino_runtime

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "openvino" else real(name, *a))
    assert openvino_runtime.bf16_supported() is False


def test_openvino_is_imported_without_its_telemetry():
    code = (
        "import socket, time\n"
        "hits = []\n"
        "def spy(host, *a, **k):\n"
        "    hits.append(host)\n"
        "    raise OSError('no network')\n"
        "socket.getaddrinfo = spy\n"
        "from rag.models.openvino_runtime import import_openvino\n"
        "import_openvino()\n"
        "import openvino.tools.ovc.telemetry_utils as t\n"
        "time.sleep(1.5)\n"  # the telemetry sender runs in a background thread
        "print(t.tm.__name__, hits)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.split("\n")[0] == "openvino.tools.ovc.telemetry_stub []"
