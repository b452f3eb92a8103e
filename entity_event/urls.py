"""URLs of entity_event's web layer; a project includes them under a prefix of its choice::

path("notifications/", include("entity_event.urls")),
"""

from django.urls import path  # noqa: F401  (the capabilities add their patterns here)

app_name = "entity_event"

urlpatterns = []
