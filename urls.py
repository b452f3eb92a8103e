"""URLs of the development project."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("notifications/", include("entity_event.urls")),
    # The demo site of `make demo`.
    path("", include("demo.urls")),
]
