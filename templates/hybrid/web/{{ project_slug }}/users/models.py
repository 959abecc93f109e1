from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's user account (AUTH_USER_MODEL).

    It is the project's own model from the first migration because replacing the user
    model of a database that already has users is a hand-written migration. Add fields
    here as the project needs them; it starts with Django's username, email, names,
    groups and permissions.
    """
