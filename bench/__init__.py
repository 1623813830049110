"""Benchmarks for landingzone: run with `make bench` (``python -m bench.run``)."""
