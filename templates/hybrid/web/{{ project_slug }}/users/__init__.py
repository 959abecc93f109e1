"""User accounts: the custom User model and its admin."""
