"""The REST API under ``/api/v1``: routes, request and response schemas, dependencies, errors."""
