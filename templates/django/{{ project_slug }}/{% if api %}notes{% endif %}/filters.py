import django_filters

from .models import Note


class NoteFilter(django_filters.FilterSet):
    """Query parameters that narrow a list of notes.

    For example: ?pinned=true&created_after=2025-01-31T00:00:00Z
    """

    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Note
        fields = ("pinned",)
