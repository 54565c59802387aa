"""Logging: the request id every line carries, the JSON (and text) formatters, and the one
logging configuration that ``torekes serve`` hands to uvicorn for itself and every worker."""
