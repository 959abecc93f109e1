"""Settings for local development (manage.py's default).

Reads a .env file at the project root first, if there is one (see .env.example);
variables already set in the environment win over it.
"""

import os
from pathlib import Path

import environ
from django.core.management.utils import get_random_secret_key

environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env")

# Imported after reading .env, so that base.py sees its variables.
from .base import *  # noqa: E402, F403
from .base import BASE_DIR, INSTALLED_APPS  # noqa: E402

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# runserver leaves static files to whitenoise, as gunicorn does in production.
INSTALLED_APPS = ["whitenoise.runserver_nostatic", *INSTALLED_APPS]


def local_secret_key(path: Path) -> str:
    """This checkout's own key, made on first run in a git-ignored file only its owner reads."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, only one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as key_file:
        key_file.write(get_random_secret_key())
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = local_secret_key(BASE_DIR / ".secrets" / "django_secret_key")
