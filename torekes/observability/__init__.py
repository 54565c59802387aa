"""Operational visibility: the Prometheus metrics the service exposes at ``/metrics``."""
