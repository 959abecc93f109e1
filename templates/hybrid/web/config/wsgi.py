"""WSGI entry point: `gunicorn config.wsgi` (gunicorn.conf.py holds its settings).

Production settings unless DJANGO_SETTINGS_MODULE names others.
"""

import os

from django.core.wsgi import get_wsgi_application

from config.tracing import init_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Before Django loads its middleware: the tracing middleware joins it (when on).
init_tracing()
application = get_wsgi_application()
