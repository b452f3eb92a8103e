"""Builders of demo events for the tests."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from demo.seeding import entity_for
from entity_event.models import Event


def announcement(company, text: str, minutes_ago: int = 0) -> Event:
    return Event.objects.create_event(
        source=company["sources"]["announcement"],
        context={"text": text},
        time=timezone.now() - timedelta(minutes=minutes_ago),
    )


def photo(company, author: User, tagged: list[User], caption: str) -> Event:
    """A photo tag: reaches, through the only-following subscription, the author and the tagged."""
    return Event.objects.create_event(
        source=company["sources"]["photo-tag"],
        actors=[entity_for(user) for user in (author, *tagged)],
        context={
            "author": author.get_full_name(),
            "text": caption,
            "tagged": [u.get_full_name() for u in tagged],
        },
    )


def new_product(company, author: User, name: str) -> Event:
    return Event.objects.create_event(
        source=company["sources"]["new-product"],
        actors=[entity_for(author)],
        context={"author": author.get_full_name(), "text": name, "price": "12.00"},
    )


def sign_in(company, user: User, device: str) -> Event:
    """A sign-in: its context names the user by primary key, which a context hint resolves."""
    return Event.objects.create_event(
        source=company["sources"]["login"],
        actors=[entity_for(user)],
        context={"user": user.pk, "device": device},
    )


def reaction(
    company, kind: str, author: User, owner: User, caption: str, text: str = "", minutes_ago: int = 0
):
    """A comment (``kind="comment"``) or a like (``kind="like"``) of ``author`` on ``owner``'s
    photo ``caption``: the reactions to one photo group together (``group_by="photo"``)."""
    return Event.objects.create_event(
        source=company["sources"][f"photo-{kind}"],
        actors=[entity_for(author)],
        time=timezone.now() - timedelta(minutes=minutes_ago),
        context={
            "photo": caption.lower().replace(" ", "-"),
            "caption": caption,
            "owner": owner.get_full_name(),
            "author": author.get_full_name(),
            "text": text,
        },
    )
