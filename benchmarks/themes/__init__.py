"""Benchmark of the recurring themes in replies: `python -m benchmarks.themes.bench`."""
