"""URLs of entity_event's web layer; a project includes them under a prefix of its choice::

path("notifications/", include("entity_event.urls")),
"""

from django.urls import path  # noqa: F401  (the capabilities add their patterns here)

from entity_event.web import preference_views

app_name = "entity_event"

urlpatterns = []

urlpatterns += [
    path("preferences/", preference_views.preferences_page, name="preferences"),
    path("unsubscribe/<str:token>/", preference_views.unsubscribe_page, name="unsubscribe"),
]
