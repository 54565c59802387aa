"""Infrastructure only: the SQLAlchemy models, engine set-up for SQLite and PostgreSQL, row locks,
the idempotency records and the migration runner. The queries of each area live in that area's
``queries.py`` (``torekes.ledger.queries``, ``torekes.spending.queries``, ...)."""
