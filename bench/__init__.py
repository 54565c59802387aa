"""Benchmarks of the service against ceilings measured in the same run (``python -m bench``)."""
