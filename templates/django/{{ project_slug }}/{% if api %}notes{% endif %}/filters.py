from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from .models import Note


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, turned to UTC before it reaches the database: any
    offset ISO 8601 allows (up to 23:59) is then one every database takes (PostgreSQL's
    stop at 15:59), and a moment that falls outside years 1 to 9999 in UTC is refused
    (400) instead of failing in the query (500)."""

    def to_python(self, value: object) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class NoteFilter(django_filters.FilterSet):
    """Query parameters that narrow a list of notes.

    For example: ?pinned=true&created_after=2025-01-31T00:00:00Z
    """

    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Note
        fields = ("pinned",)
