"""Who may do what where: accounts, roles, region scopes, sign-in, tokens and the audit log."""
