from django.conf import settings
from django.db import models


class Note(models.Model):
    """A short text that belongs to one user; the API shows each user only their own."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The id breaks ties between notes created in the same instant, so that pages
        # of results never repeat or skip a note.
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=["owner", "-created_at"]),)

    def __str__(self) -> str:
        return self.title
