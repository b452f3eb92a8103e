"""URLs of entity_event's web layer; a project includes them under a prefix of its choice::

path("notifications/", include("entity_event.urls")),
"""

from django.urls import path

from entity_event.live import views as live_views
from entity_event.web import explain_views, inbox_views, preference_views

app_name = "entity_event"

urlpatterns = [
    path("preferences/", preference_views.preferences_page, name="preferences"),
    path("unsubscribe/<str:token>/", preference_views.unsubscribe_page, name="unsubscribe"),
    path("<str:medium_name>/events/", inbox_views.events, name="inbox_events"),
    path("<str:medium_name>/groups/", inbox_views.groups, name="inbox_groups"),
    path("<str:medium_name>/unseen-count/", inbox_views.unseen_count, name="inbox_unseen_count"),
    path("<str:medium_name>/seen/", inbox_views.mark_seen, name="inbox_mark_seen"),
    path("<str:medium_name>/stream/", live_views.stream, name="live_stream"),
    path("<str:medium_name>/events/<str:event_id>/why/", explain_views.why, name="explain_why"),
]
