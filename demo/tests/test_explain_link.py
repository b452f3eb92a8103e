"""The feed's "Why am I seeing this?" details, driven through the test client."""

import pytest
from django.urls import reverse

from demo.seeding import entity_for
from demo.tests import events

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]


def test_each_feed_item_links_to_its_explanation_which_gives_the_reasons(client, company):
    alice = company["users"]["alice"]
    news = events.announcement(company, "Fresh news")
    client.force_login(alice)

    page = client.get(reverse("demo:feed")).content.decode()
    url = reverse("entity_event:explain_why", kwargs={"medium_name": "newsfeed", "event_id": news.pk})
    assert f'<details class="why" data-url="{url}"><summary>Why am I seeing this?</summary>' in page

    explanation = client.get(url).json()
    newsfeed = company["mediums"]["newsfeed"]
    assert explanation["reasons"] == list(newsfeed.explain(news, entity_for(alice)).reasons)
    assert explanation["receives"] and explanation["subscriptions"]
