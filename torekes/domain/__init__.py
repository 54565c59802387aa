"""Pure ledger rules: amounts, postings, account kinds, roles, hashing and errors.

Nothing in this package imports a web or database framework; the layers above translate.
"""
