"""Builders of the live tests: a newsfeed that Alice and Bob receive, and reading a stream."""

import asyncio

import pytest
from django.contrib.auth.models import User
from django.test import AsyncClient
from django.urls import reverse

from entity_event.tests import helpers
from entity_event.tests.web.test_entity import mirror


@pytest.fixture
def world():
    """Alice and Bob, who both receive photo tags on the newsfeed."""
    users = {name: User.objects.create_user(name) for name in ("alice", "bob")}
    entities = {name: mirror(user) for name, user in users.items()}
    newsfeed = helpers.medium("newsfeed")
    photo_tag = helpers.source("photo-tag")
    for user_entity in entities.values():
        helpers.subscribe(newsfeed, photo_tag, user_entity)
    return {"users": users, "entities": entities, "newsfeed": newsfeed, "source": photo_tag}


async def next_message(messages, timeout: float = 10) -> str:
    """The next chunk of a stream's content, as text (the test fails after ``timeout`` seconds)."""
    chunk = await asyncio.wait_for(anext(messages), timeout)
    return chunk.decode()


def url(medium: str = "newsfeed") -> str:
    return reverse("entity_event:live_stream", kwargs={"medium_name": medium})


async def stream_answer(path: str, user=None, headers: dict | None = None):
    """The answer to a GET of the stream at ``path``, by ``user`` if given, its content left to read."""
    client = AsyncClient()
    if user is not None:
        await client.aforce_login(user)
    return await client.get(path, headers=headers or {})
