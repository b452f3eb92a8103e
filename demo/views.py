"""Pages of the demo site: the feed, marking it seen, and posting an event."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from demo import feed
from demo.forms import PostEventForm


@login_required
def newsfeed(request: HttpRequest) -> HttpResponse:
    page, items = feed.feed_page(request.user, request.GET.get("page"))
    context = {
        "page": page,
        "items": items,
        "seeded": feed.newsfeed() is not None,
        "has_entity": feed.user_entity(request.user) is not None,
    }
    return render(request, "demo/feed.html", context)


@require_POST
@login_required
def mark_all_seen(request: HttpRequest) -> HttpResponse:
    marked = feed.mark_all_seen(request.user)
    messages.success(request, f"Marked {marked} event{'' if marked == 1 else 's'} seen.")
    return redirect("demo:feed")


@login_required
def post_event(request: HttpRequest) -> HttpResponse:
    form = PostEventForm(request.POST or None, author=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your event was posted.")
        return redirect("demo:feed")
    return render(request, "demo/post.html", {"form": form})


@require_POST
@login_required
def dismiss_notifications(request: HttpRequest) -> HttpResponse:
    """Mark everything the user has on the notification bar seen there."""
    feed.mark_all_seen(request.user, feed.NOTIFICATION_BAR)
    return redirect("demo:feed")
