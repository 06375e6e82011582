"""The physical limit of passage embedding here: model FLOPs per token against the machine's GEMM rate.

Usage:
    python -m eval.bench_limit [--texts laws|founding] [--laws-clauses 1000] [--threads 0]
                               [--out eval/out/bench/limit.json]

Counts the multiply-adds per token of the bundled encoder from its exported graph's
dimensions (linear layers, and attention at the texts' real window lengths), measures the
best GEMM rate of this machine through ONNX Runtime on the encoder's own shapes — float32
``MatMul``, the same product compiled by OpenVINO in bfloat16 (the default passage path on
CPUs with AMX), and the int8 ``DynamicQuantizeMatMul`` that
:func:`rag.models.onnx_engine.int8_encoder` produces — and divides: the characters per
second an encoder that did nothing but those GEMMs at that rate would reach. Then it times
the real encoder (fp32, bf16 and int8) on the same texts and prints how close each gets. Writes JSON.

Attention products run in float32 at every precision, so the bf16 and int8 limits are a
little optimistic; the embedding-table reads, tokenising and pooling are not counted at all.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from .bench_embedding import law_paragraphs, paragraphs

ROOT = Path(__file__).resolve().parent.parent
PRECISIONS = ("fp32", "bf16", "int8")


def _matmul_model(path: Path, rows: int, inner: int, cols: int) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.random.default_rng(0).normal(size=(inner, cols)).astype(np.float32) * 0.05
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, inner])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, cols])],
        [numpy_helper.from_array(weight, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def _session(path: Path, precision: str, threads: int):
    """A ``run(x)`` callable: ONNX Runtime for fp32 and int8, OpenVINO for bf16 (as the engine runs them)."""
    if precision == "bf16":
        from rag.models.openvino_runtime import import_openvino

        ov = import_openvino()

        config = {"INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        request = ov.Core().compile_model(str(path), "CPU", config).create_infer_request()
        return lambda x: request.infer({"x": x})
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"x": x})


def gemm_rate(rows: int, inner: int, cols: int, precision: str, threads: int, seconds: float = 2.0) -> float:
    """Best GFLOP/s of one ``(rows x inner) @ (inner x cols)`` product at ``precision``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fp32.onnx"
        _matmul_model(path, rows, inner, cols)
        if precision == "int8":
            quantized = Path(tmp) / "int8.onnx"
            quantize_dynamic(str(path), str(quantized), weight_type=QuantType.QInt8, per_channel=True)
            path = quantized
        run = _session(path, precision, threads)
    x = np.random.default_rng(1).normal(size=(rows, inner)).astype(np.float32)
    run(x)
    best, deadline = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        run(x)
        best = min(best, time.perf_counter() - start)
    return 2 * rows * inner * cols / best / 1e9


def model_shape() -> dict:
    """Hidden size, layers and feed-forward width of the exported bundled model."""
    import onnx

    from rag.models.onnx_export import MARKER, ensure_onnx_model

    folder = ensure_onnx_model(verbose=False)
    meta = json.loads((folder / MARKER).read_text("utf-8"))
    model = onnx.load(str(folder / "encoder.onnx"), load_external_data=False)
    shapes = [tuple(t.dims) for t in model.graph.initializer if len(t.dims) == 2]
    hidden = int(meta["hidden"])
    ffn = max(max(s) for s in shapes if hidden in s)
    layers = sum(1 for s in shapes if s == (hidden, ffn))
    return {"hidden": hidden, "ffn": ffn, "layers": layers}


def flops_per_token(shape: dict, window_tokens: float) -> dict:
    """Multiply-adds x 2 per token: the linear layers, and attention at ``window_tokens`` per window."""
    d, f, n = shape["hidden"], shape["ffn"], shape["layers"]
    linear = 2 * n * (4 * d * d + 2 * d * f)  # Q, K, V, output; two feed-forward matrices
    attention = 2 * n * 2 * window_tokens * d  # scores QK^T and the weighted sum of V
    return {"linear": linear, "attention": attention, "total": linear + attention}


def token_counts(texts: list[str]) -> tuple[int, float]:
    """Tokens the ONNX engine feeds for ``texts`` (prompt and <s> </s> included) and their mean window."""
    from rag.models.onnx_engine import OnnxEngine

    engine = OnnxEngine(precision="fp32")
    windows = engine._windows(texts, engine.passage_prompt)
    lengths = [len(ids) + 2 for _, ids in windows]
    # Attention per token grows with its own window's length: weight windows by their tokens.
    return sum(lengths), sum(n * n for n in lengths) / sum(lengths)


def encoder_rate(texts: list[str], precision: str, threads: int) -> float:
    """Best of two passes, characters per second, of the ONNX engine at ``precision``."""
    from rag.models.onnx_engine import OnnxEngine

    engine = OnnxEngine(precision=precision, threads=threads or None)
    engine.encode(texts[:4], is_query=False)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        engine.encode(texts, is_query=False)
        best = min(best, time.perf_counter() - start)
    return sum(map(len, texts)) / best


def main(argv: list[str] | None = None) -> dict:
    """Measure, print and write the limit report."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench_limit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", choices=("laws", "founding"), default="laws",
                        help="Texts: law paragraphs from ../shared (default) or the founding document's.")
    parser.add_argument("--laws-clauses", type=int, default=1000, metavar="N",
                        help="Law paragraphs with --texts laws (default: 1000).")
    parser.add_argument("--threads", type=int, default=0,
                        help="ONNX Runtime threads (default 0: all cores).")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "bench" / "limit.json",
                        help="Where to write the JSON results.")
    args = parser.parse_args(argv)
    texts = law_paragraphs(args.laws_clauses) if args.texts == "laws" else paragraphs()
    chars = sum(map(len, texts))
    tokens, window = token_counts(texts)
    shape = model_shape()
    flops = flops_per_token(shape, window)
    # The encoder's GEMMs: a run of ~512 padded tokens against the hidden x 4*hidden matrices.
    rows = 512
    gemm = {p: {f"{rows}x{a}x{b}": round(gemm_rate(rows, a, b, p, args.threads), 1)
                for a, b in ((shape["hidden"], shape["ffn"]), (shape["ffn"], shape["hidden"]),
                             (shape["hidden"], shape["hidden"]))} for p in PRECISIONS}
    result = {"machine": {"cpus": os.cpu_count()}, "texts": {"source": args.texts, "count": len(texts),
                                                            "chars": chars, "tokens": tokens,
                                                            "tokens_per_char": round(tokens / chars, 4),
                                                            "attention_window_mean": round(window, 1)},
              "model": shape, "flops_per_token": flops, "gemm_gflops": gemm, "precisions": {}}
    for precision in PRECISIONS:
        best_gemm = max(gemm[precision].values()) * 1e9
        limit = best_gemm / flops["total"] * chars / tokens
        measured = encoder_rate(texts, precision, args.threads)
        result["precisions"][precision] = {"limit_chars_per_s": round(limit), "measured_chars_per_s":
                                           round(measured), "share_of_limit": round(measured / limit, 3)}
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return result


if __name__ == "__main__":
    main()
