"""Template tags of the demo pages."""

from django import template

from demo import feed

register = template.Library()


@register.simple_tag
def unseen_count(user) -> int:
    """How many events of ``user``'s newsfeed are not seen yet (0 when signed out)."""
    return feed.unseen_count(user) if user.is_authenticated else 0
