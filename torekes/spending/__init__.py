"""Spending: shops ask for payments (payment requests with a QR), members pay them, shops charge
member cards with a PIN and refund; every payment has a receipt. ``payments.record_payment`` is the
one path by which anyone pays a shop.
"""
