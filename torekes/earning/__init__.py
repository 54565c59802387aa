"""Earning: projects and their budgets, activities and their rules, claim codes, claims and the
coordinators' approval queue. A claim reserves the reward on the project's budget (a hold) and, once
approved, posts it to the volunteer through ``torekes.ledger.journal``.
"""
