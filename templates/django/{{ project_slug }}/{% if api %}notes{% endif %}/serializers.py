from rest_framework import serializers

from .models import Note


class NoteSerializer(serializers.ModelSerializer):
    """A note as the API shows it. The owner is not a field: it is always the caller."""

    class Meta:
        model = Note
        fields = ("id", "title", "body", "pinned", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
