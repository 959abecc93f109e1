from django.contrib import admin

from .models import Note


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "pinned", "created_at")
    list_filter = ("pinned", "created_at")
    search_fields = ("title", "body", "owner__username")
    list_select_related = ("owner",)
    # A search box instead of a drop-down of every user.
    autocomplete_fields = ("owner",)
