from django.db.models import QuerySet
from rest_framework import viewsets

from .filters import NoteFilter
from .models import Note
from .serializers import NoteSerializer


class NoteViewSet(viewsets.ModelViewSet):
    """Create, list, read, change and delete the signed-in user's notes.

    Sign-in, pagination, throttling and the filter backends come from REST_FRAMEWORK
    in config/settings/base.py. Each user's queryset holds only their own notes, so
    another user's note is a 404: the API does not even reveal that it exists.
    """

    serializer_class = NoteSerializer
    # For tools that inspect the view without a request (router, schema); requests
    # always go through get_queryset.
    queryset = Note.objects.all()
    filterset_class = NoteFilter
    # ?search=word looks in these fields.
    search_fields = ("title", "body")
    # ?ordering=-updated_at sorts by these.
    ordering_fields = ("created_at", "updated_at", "title")

    def get_queryset(self) -> QuerySet[Note]:
        return super().get_queryset().filter(owner=self.request.user)

    def perform_create(self, serializer: NoteSerializer) -> None:
        serializer.save(owner=self.request.user)
