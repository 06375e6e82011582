"""Evaluation harness and benchmarks (run as ``python -m eval.<module>``)."""
