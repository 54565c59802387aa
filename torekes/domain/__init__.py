"""Pure rules, one module per area: entries, accounts and hashing (the ledger), earning,
spending, cards, redemption, approvals (four eyes), reporting, users and access, and the error
tree with its stable codes (``errors``).

Nothing in this package imports a web or database framework (a contract ``make test`` checks);
the areas above apply these rules to the database.
"""
