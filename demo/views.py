"""Pages of the demo site: the feed, marking it seen, and posting an event."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from demo import feed
from demo.forms import PostEventForm
from entity_event.exceptions import translated
from entity_event.numbers import parse_number


def post_only(view):
    """Let only POST through; a GET (a bookmarked or typed address) gets a readable 405 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            response = render(request, "demo/post_only.html", status=405)
            response["Allow"] = "POST"
            return response
        return view(request, *args, **kwargs)

    return wrapped


class SignOutView(auth_views.LogoutView):
    """Django's sign-out, a POST; a GET (the address typed in) gets a page with the button."""

    http_method_names = ["get", *auth_views.LogoutView.http_method_names]
    template_name = "demo/logout.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return render(request, self.template_name)


@login_required
def newsfeed(request: HttpRequest) -> HttpResponse:
    page, items = feed.feed_page(request.user, request.GET.get("page"))
    context = {
        "page": page,
        "items": items,
        "seeded": feed.newsfeed() is not None,
        "has_entity": feed.user_entity(request.user) is not None,
        "newest_shown": max((item.event.pk for item in items), default=None),
    }
    return render(request, "demo/feed.html", context)


@post_only
@login_required
def mark_all_seen(request: HttpRequest) -> HttpResponse:
    """Mark the signed-in user's newsfeed seen up to the newest event the page showed (``up_to``;
    everything without it), for that user only: what arrived since stays unseen."""
    up_to = request.POST.get("up_to")
    try:
        up_to = None if up_to is None else parse_number(up_to)
    except ValueError as error:
        return HttpResponseBadRequest(_("up_to is not an event id: %(error)s") % {"error": translated(error)})
    marked = feed.mark_seen(request.user, up_to=up_to)
    messages.success(
        request,
        ngettext("Marked %(count)d event seen.", "Marked %(count)d events seen.", marked) % {"count": marked},
    )
    return redirect("demo:feed")


@post_only
@login_required
def mark_one_seen(request: HttpRequest, event_id: int) -> HttpResponse:
    """Mark one event of the signed-in user's newsfeed seen, then go back to the same page."""
    feed.mark_seen(request.user, event_id)
    page = request.POST.get("page", "")
    return redirect(f"{reverse('demo:feed')}?page={page}" if page.isdigit() else "demo:feed")


@post_only
@login_required
def mark_group_seen(request: HttpRequest, group_id: str) -> HttpResponse:
    """Mark every event of one group of the signed-in user's newsfeed seen, then go back to the
    same page; a ``group_id`` that is not a group id is a 400 naming it."""
    try:
        feed.mark_group_seen(request.user, group_id)
    except ValueError as error:
        return HttpResponseBadRequest(str(error))
    page = request.POST.get("page", "")
    return redirect(f"{reverse('demo:feed')}?page={page}" if page.isdigit() else "demo:feed")


@login_required
def post_event(request: HttpRequest) -> HttpResponse:
    form = PostEventForm(request.POST or None, author=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your event was posted."))
        return redirect("demo:feed")
    return render(request, "demo/post.html", {"form": form})


@never_cache
def notification_bar(request: HttpRequest) -> HttpResponse:
    """The notification bar alone, as the page shows it (empty when there is nothing to show): what
    a page fetches to update its bar when the live stream, or polling, says it changed. A 403
    without a signed-in user, which a page leaves alone (no login page inside the bar)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    return render(request, "demo/notification_bar.html", {"notification": feed.notification(request.user)})


@post_only
@login_required
def dismiss_notifications(request: HttpRequest) -> HttpResponse:
    """Mark everything on the signed-in user's notification bar seen, for that user only."""
    feed.mark_seen(request.user, medium_name=feed.NOTIFICATION_BAR)
    return redirect("demo:feed")
