"""URLs of the demo site, included at the root of the development project."""

from django.contrib.auth import views as auth_views
from django.urls import path

from demo import outbox, views

app_name = "demo"

urlpatterns = [
    path("", views.newsfeed, name="feed"),
    path("seen/", views.mark_all_seen, name="mark_all_seen"),
    path("seen/<int:event_id>/", views.mark_one_seen, name="mark_one_seen"),
    path("seen/group/<str:group_id>/", views.mark_group_seen, name="mark_group_seen"),
    path("post/", views.post_event, name="post_event"),
    path("notifications/bar/", views.notification_bar, name="notification_bar"),
    path("notifications/dismiss/", views.dismiss_notifications, name="dismiss_notifications"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/deliver/", outbox.deliver_now, name="deliver_now"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="demo/login.html", next_page="demo:feed"),
        name="login",
    ),
    path("accounts/logout/", views.SignOutView.as_view(next_page="demo:login"), name="logout"),
]
