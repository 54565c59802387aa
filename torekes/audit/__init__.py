"""The audit: ``verification`` recomputes the ledger from its journal and compares (balances, chain,
sequences, holds, single use), walking long journals in ranges (``journal_walk``); ``checkpoints``
signs chain heads; ``trail`` reads the administrators' actions that ``torekes.kit.audit_trail``
records.
"""
