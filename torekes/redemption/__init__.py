"""Redemption: shops (and partners allowed to) turn tokens into euros. Euro rates, redemptions held
until an administrator approves them, settlements that pay them in one bank batch (CSV and SEPA
``pain.001`` files), and where each shop is paid.
"""
