"""sentence-transformers helpers: the only module of the encoder that touches torch (extra ``[st]``).

Loads any sentence-transformers model by name or folder (local folder, then the local
Hugging Face cache, then the hub unless ``HF_HUB_OFFLINE=1``), reads its prompts, and
gives :mod:`rag.models.convert` the module classes it assembles the bundled model from.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RagError
from ..vocab import DEFAULT_MODEL

# Prompt names sentence-transformers models use for the passage side, in priority order.
_PASSAGE_PROMPT_NAMES = ("document", "passage", "corpus")


class ModelNotAvailableError(RagError, RuntimeError):
    """The requested model is neither a local folder nor in the local Hugging Face cache."""


def st_modules():
    """Return sentence-transformers' ``(Transformer, Pooling, Normalize)`` module classes."""
    try:
        from sentence_transformers.sentence_transformer.modules import (
            Normalize,
            Pooling,
            Transformer,
        )
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Normalize, Pooling, Transformer
    return Transformer, Pooling, Normalize


def quiet_transformers() -> None:
    """Turn off the progress bar transformers prints on every load."""
    # transformers prints a "Loading weights" bar on every load; our CLIs print their own progress.
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass


def load_sentence_transformer(name_or_path: str, device: str):
    """``(model, source, path)`` of a sentence-transformers model, local before remote.

    Raises:
        ModelNotAvailableError: Neither local nor cached, and not downloadable.
    """
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover
        raise ImportError("sentence-transformers is required: pip install sentence-transformers") from exc

    if Path(name_or_path).expanduser().is_dir():
        path = str(Path(name_or_path).expanduser())
        return SentenceTransformer(path, device=device), "local-path", path
    # Try the local Hugging Face cache first so an offline machine never waits on the network.
    try:
        model = SentenceTransformer(name_or_path, device=device, local_files_only=True)
        return model, "huggingface-cache", name_or_path
    except Exception as cached_error:  # noqa: BLE001 - any failure means "not cached"
        if os.environ.get("HF_HUB_OFFLINE") == "1":
            raise ModelNotAvailableError(
                f"Model {name_or_path!r} is not a local folder and not in the Hugging Face cache, "
                "and HF_HUB_OFFLINE=1 forbids downloading it. Use the bundled default "
                f"({DEFAULT_MODEL}) or pass the path of a sentence-transformers model folder."
            ) from cached_error
    try:
        return SentenceTransformer(name_or_path, device=device), "huggingface-hub", name_or_path
    except Exception as exc:  # noqa: BLE001
        raise ModelNotAvailableError(
            f"Could not load embedding model {name_or_path!r}: it is not a local folder, not in "
            f"the Hugging Face cache, and downloading it failed ({type(exc).__name__}: {exc}). "
            f"Use the bundled default ({DEFAULT_MODEL}) or the path of a model folder."
        ) from exc


def resolve_prompts(model, name: str) -> tuple[str, str]:
    """``(query prompt, passage prompt)`` from the model's configuration (E5 defaults for E5 names)."""
    prompts = {k: v for k, v in (getattr(model, "prompts", None) or {}).items() if v}
    query = prompts.get("query", "")
    passage = next((prompts[n] for n in _PASSAGE_PROMPT_NAMES if n in prompts), "")
    if not query and not passage and "e5" in name.lower():
        # E5 checkpoints on the hub ship without prompts but were trained with these.
        return "query: ", "passage: "
    return query, passage


