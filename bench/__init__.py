"""hfsync's benchmarks: `python -m bench` runs them all and prints one table (see bench/run.py)."""
