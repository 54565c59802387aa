"""Reports for the city, funders, shops and auditors (circulation, projects, shops, statements) and
the dashboard's month-by-month figures, every figure read from the ledger.
"""
