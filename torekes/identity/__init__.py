"""Identity: users and their roles, passwords and API tokens, signing in and revoking tokens."""
