"""Settings, one module per environment; each starts from base.py.

- development: `python manage.py ...` (manage.py's default);
- test: pytest (pyproject.toml selects it);
- production: gunicorn (config/wsgi.py's default, and the Docker image).
"""
