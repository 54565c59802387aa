"""Approvals: four eyes on money moved by one administrator. Issuances, general entries and
reversals above ``TOREKES_FOUR_EYES_ABOVE`` wait for a second administrator. The area sits above
the ledger and spending, because approving a reversal runs spending's own reversal (a payment's
refunds must stay true).
"""
