"""What every view of the REST API shares: how request bodies are parsed (parsers.py),
how errors are answered (errors.py), what the OpenAPI schema says about both, and API
tokens (auth.py, views.py)."""
