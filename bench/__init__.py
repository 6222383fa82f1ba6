"""Benchmarks of kol-warehouse; not part of the test suite (``make bench``)."""
