"""Benchmarks, run by hand (never in CI). See bench/nearest.py."""
