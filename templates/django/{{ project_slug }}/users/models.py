from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class EmailUserManager(UserManager):
    """Django's user manager for accounts that an email address names (no username):
    create_user() and create_superuser() (createsuperuser) take the address."""

    # Migrations need no manager; leaving it out keeps them free of the package's name.
    use_in_migrations = False

    def _create_user(self, username, email, password, **extra_fields):
        # Django's UserManager passes the USERNAME_FIELD's value as `username`.
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    """The project's user account (AUTH_USER_MODEL), named by its email address.

    It is the project's own model from the first migration because replacing the user
    model of a database that already has users is a hand-written migration. Add fields
    here as the project needs them; it starts with Django's email, names, groups and
    permissions. People log in with their email address (django-allauth), so there is no
    username.
    """

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()

    def __str__(self) -> str:
        return self.email
