"""Benchmarks that print figures (speed, memory, accuracy) next to a baseline; no assertions."""
