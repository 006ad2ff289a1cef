"""The benchmark report behind `make bench` and `make bench-quick` (see run.py)."""
