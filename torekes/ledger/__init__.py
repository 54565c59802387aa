"""The ledger: currencies and their accounts, posting to the journal, holds, reading history and
statements, and four eyes on the largest entries.

``journal.post_entry`` is the one way into the journal; every other area that moves money (earning,
spending, redemption) calls it. ``queries`` holds the reads and inserts on currencies, accounts,
transactions and postings, and the locks that guard them; ``read_models`` what the ledger hands out.
"""
