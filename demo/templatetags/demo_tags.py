"""Template tags of the demo pages."""

from django import template

from demo import feed

register = template.Library()


#: The badge shows up to this many unseen events, then "99+".
BADGE_LIMIT = 99


@register.simple_tag
def unseen_count(user) -> int:
    """How many events of ``user``'s newsfeed are not seen yet (0 when signed out), counted up to
    one more than the badge shows, so that counting costs the same however many there are."""
    return feed.unseen_count(user, limit=BADGE_LIMIT + 1) if user.is_authenticated else 0


@register.inclusion_tag("demo/notification_bar.html", takes_context=True)
def notification_bar(context) -> dict:
    """The newest undismissed notification of the signed-in user, with its dismiss button."""
    user = context["user"]
    return {
        "notification": feed.notification(user) if user.is_authenticated else None,
        "csrf_token": context.get("csrf_token"),
    }
