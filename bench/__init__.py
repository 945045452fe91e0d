"""Benchmarks of performance.md: each prints one JSON object per result, ``{bench, n, ours, ceiling, ratio,
unit}``, measured against a ceiling that runs beside it in the same process and the same database."""
