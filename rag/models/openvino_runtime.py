"""OpenVINO in bfloat16 for :class:`rag.models.onnx_engine.OnnxEngine` (``bf16`` precision).

On CPUs with bfloat16 units (Intel AMX or AVX-512 BF16) OpenVINO runs the exported
``encoder.onnx`` with bfloat16 matrix products and float32 accumulation: passages embed
~2.3x faster than ONNX Runtime's float32 here and queries ~1.8x (7 vs 13 ms for a
party-gold question, once each query is padded to one of a few lengths: OpenVINO spends
10-50 ms on the first run of every new shape), and the vectors stay at a cosine of
≥ 0.9999 to float32 (int8 weights with dynamic activation scales lost 0.03-0.05 dense
MRR@10 on party-gold; ``eval/EXPERIMENTS.md``).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def import_openvino():
    """``import openvino`` without its telemetry.

    Importing openvino sends a Google Analytics event through ``openvino-telemetry`` unless
    the user has opted out (``openvino/tools/ovc/__init__.py``); an offline tool for party
    documents must not reach out. With that package hidden during the import, OpenVINO
    falls back to its own no-op ``telemetry_stub``.
    """
    if "openvino" not in sys.modules:
        hidden = {name: sys.modules.get(name) for name in ("openvino_telemetry",
                                                           "openvino_telemetry.backend")}
        for name in hidden:
            sys.modules[name] = None  # an import of it now raises ImportError
        try:
            import openvino  # noqa: F401
        finally:
            for name, module in hidden.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
    return sys.modules["openvino"]


def bf16_supported() -> bool:
    """Whether OpenVINO is installed and the CPU has bfloat16 units (AMX or AVX-512 BF16).

    Read from the CPU flags rather than from OpenVINO itself: importing it takes ~0.3-0.5 s,
    which a process that only reads an index's metadata should not pay.
    """
    if importlib.util.find_spec("openvino") is None:
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text("ascii", errors="replace").split()
    except OSError:  # not Linux: ask OpenVINO
        ov = import_openvino()
        return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "amx_bf16" in flags or "avx512_bf16" in flags


class OpenVinoSession:
    """The encoder graph compiled for the CPU in bfloat16, with ONNX Runtime's ``run`` signature.

    Args:
        graph: The ``encoder.onnx`` file.
        threads: Inference threads (0: all cores).

    Raises:
        ImportError: If openvino is not installed.
    """

    def __init__(self, graph: Path, threads: int = 0) -> None:
        try:
            ov = import_openvino()
        except ImportError as exc:
            raise ImportError("bf16 passages need OpenVINO: pip install openvino") from exc
        config = {"INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        # LATENCY: one request at a time with every core on it, as a build runs batches in turn
        # and a search encodes one query.
        self._request = ov.Core().compile_model(str(graph), "CPU", config).create_infer_request()
        log.debug("compiled %s for the CPU in bf16", graph)

    def run(self, names, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run the graph: ``feeds`` are ``embeddings`` and ``mask``; returns ``[hidden]``."""
        outputs = self._request.infer({"embeddings": feeds["embeddings"], "mask": feeds["mask"]})
        # A copy: the request reuses its output buffer on the next run.
        return [np.array(outputs[0])]
