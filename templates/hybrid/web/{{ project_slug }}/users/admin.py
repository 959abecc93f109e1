from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User

# Django's user admin: password change forms, permissions and groups.
admin.site.register(User, UserAdmin)
