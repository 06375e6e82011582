"""CI runs the pinned evaluation: party-gold and ALQAC 2023 must match their pins (slow)."""

import subprocess
import sys

import pytest
from helpers import ROOT, shared_path

pytestmark = pytest.mark.slow


def test_pinned_scores_hold():
    shared_path("corpus", "party")
    shared_path("benchmarks", "alqac2023", "train.json")
    result = subprocess.run([sys.executable, "-m", "eval.check"], cwd=ROOT, capture_output=True, text=True,
                            timeout=3600)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "party-gold/test/hybrid" in result.stdout and "alqac2023/dev/hybrid" in result.stdout
    assert "CHANGED" not in result.stdout
