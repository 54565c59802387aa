"""Operational visibility: the Prometheus metrics the service exposes at ``/metrics``, the
requests' figures and the ledger's figures (read from the database at each scrape)."""
