"""What every area uses, knowing nothing of any area: the unit of work (the transaction boundary of
every write, with its idempotency records), the audit trail's writer, the clock, keyset
pagination, secrets (argon2, token digests), content negotiation and CSV text.
"""
