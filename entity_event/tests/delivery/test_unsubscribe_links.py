"""Every email carries the one-click unsubscribe headers and links of its reader; a digest's stop
all of its sources at once."""

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, modify_settings, override_settings
from django.test.utils import CaptureQueriesContext

from entity_event.channels import EmailChannel
from entity_event.delivery import tasks
from entity_event.models import Delivery, EventSeen, Unsubscription
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import DUMMY_TASKS, make_due, post
from entity_event.unsubscribe import ONE_CLICK, unsubscribe_headers, unsubscribe_url

BASE_URL = "https://club.example"
PREFERENCES = f"{BASE_URL}/notifications/preferences/"

#: The URLs of a project that forgot ``entity_event.urls`` (this module is its URLconf).
urlpatterns = []


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.ENTITY_EVENT_BASE_URL = BASE_URL


def message_to(entity):
    return next(message for message in mail.outbox if message.to == [f"{entity}@example.com"])


def one_click(url: str):
    """What a mail program does when its reader clicks the unsubscribe button: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True).post(
        url.strip("<>").removeprefix(BASE_URL), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )


def unsubscriptions() -> list[tuple[str, str, str]]:
    return sorted(Unsubscription.objects.values_list("entity__display_name", "medium__name", "source__name"))


def add_source(world, name: str):
    """Another source of the club's news on the world's medium, rendered in the email style."""
    source = helpers.source(name)
    helpers.renderer(name, helpers.style("email"), source=source, text_template=f"{name}: {{{{ title }}}}")
    helpers.subscribe(world.medium, source, world.club, sub_kind="user")
    return source


# Single emails.


def test_each_email_carries_the_one_click_headers_and_links_of_its_reader_and_source(club):
    post(club, "Picnic")
    club.medium.deliver()

    for member in club.users:
        message = message_to(member)
        url = unsubscribe_url(member, club.medium, club.news)
        assert {
            name: message.extra_headers[name] for name in unsubscribe_headers(member, club.medium, club.news)
        } == {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        assert message.body == (
            "News: Picnic\nRead on, Picnic & more.\n\n-- \n"
            f"Stop these emails: {url}\nAll your notification settings: {PREFERENCES}\n"
        )
        [(html, _mimetype)] = message.alternatives
        assert f'<a href="{url}">Unsubscribe</a> · <a href="{PREFERENCES}">Notification settings</a>' in html
    assert len({message.extra_headers["List-Unsubscribe"] for message in mail.outbox}) == len(club.users)


def test_the_one_click_unsubscribe_of_an_email_stops_the_next_ones(club):
    post(club, "Picnic")
    club.medium.deliver()
    header = message_to(club.users[0]).extra_headers["List-Unsubscribe"]

    for _ in range(2):  # idempotent
        assert one_click(header).status_code == 200
        assert unsubscriptions() == [("member0", "email", "news-email")]

    mail.outbox.clear()
    post(club, "Quiz")
    assert club.medium.deliver() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["member1@example.com", "member2@example.com"]


@pytest.fixture
def site(settings):
    """The current site, as ``django.contrib.sites`` caches it, named "members.club.example"."""
    settings.ENTITY_EVENT_BASE_URL = None
    Site.objects.filter(pk=settings.SITE_ID).update(domain="members.club.example")
    Site.objects.clear_cache()
    yield Site.objects.get_current()
    Site.objects.clear_cache()


def test_without_a_base_url_links_use_https_and_the_current_sites_domain(club, site):
    post(club)
    club.medium.deliver()

    message = message_to(club.users[0])
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<https://members.club.example/notifications/"
    )
    assert "https://members.club.example/notifications/preferences/" in message.body


def test_without_a_base_url_nor_sites_delivering_fails_at_once_naming_the_setting(club, settings):
    settings.ENTITY_EVENT_BASE_URL = None
    post(club)
    with modify_settings(INSTALLED_APPS={"remove": "django.contrib.sites"}):
        with pytest.raises(ImproperlyConfigured, match="set ENTITY_EVENT_BASE_URL"):
            club.medium.deliver()

        assert not EventSeen.objects.exists()  # nothing claimed: the next run delivers the event
        assert not Delivery.objects.exists()

    settings.ENTITY_EVENT_BASE_URL = BASE_URL
    assert club.medium.deliver() == len(club.users)
    assert len(mail.outbox) == len(club.users)


def test_a_batch_whose_links_cannot_be_made_any_more_fails_and_is_retried(club, settings):
    post(club)
    with override_settings(TASKS=DUMMY_TASKS):  # planned, not sent yet
        club.medium.deliver()
    settings.ENTITY_EVENT_BASE_URL = None
    with modify_settings(INSTALLED_APPS={"remove": "django.contrib.sites"}):
        tasks.enqueue_pending(Delivery.objects.all())

    assert mail.outbox == []
    [error] = {delivery.last_error for delivery in Delivery.objects.filter(status="pending", attempts=1)}
    assert error.startswith("ImproperlyConfigured: links in emails need the site's address")


def test_without_the_urls_of_the_app_delivering_fails_at_once_saying_to_include_them(club):
    post(club)
    with override_settings(ROOT_URLCONF=__name__):
        with pytest.raises(ImproperlyConfigured, match="include entity_event.urls") as raised:
            club.medium.deliver()

    assert str(raised.value).startswith("the email channel links every message to its unsubscribe page")
    assert not Delivery.objects.exists()


def grow_and_post(world, sources: list, members: int) -> None:
    """Bring the club to ``members`` members, post an event of each of ``sources`` and plan it."""
    for number in range(members - len(world.users)):
        world.users.append(helpers.entity(f"new-member{number}", supers=[world.club]))
    for source in sources:
        helpers.event(source, context={"title": f"From {source}"})
    world.medium.deliver()


def count_sending_queries(club, sources: list, members: int) -> int:
    grow_and_post(club, sources, members)
    ids = list(Delivery.objects.filter(attempts=0).values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        tasks.send_deliveries.call(ids)
    assert Delivery.objects.filter(id__in=ids, status="sent").count() == len(sources) * members
    return len(helpers.statements(captured))


def test_the_links_cost_no_query_whatever_the_sources_and_readers(club, dummy_tasks):
    small = count_sending_queries(club, [club.news], members=3)
    others = [add_source(club, name) for name in ("meetings", "trips", "matches")]
    large = count_sending_queries(club, [club.news, *others], members=5)
    assert small == large


# Digests.


@pytest.fixture
def digest_club(club):
    """The club on a daily digest, with a second source of news: meetings."""
    club.meetings = add_source(club, "meetings")
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "daily"}):
        yield club


def send_digests(world) -> None:
    world.medium.deliver()
    make_due(Delivery.objects.all())
    tasks.enqueue_due([world.medium])


def test_a_digest_of_one_source_unsubscribes_from_it_as_a_single_email_does(digest_club):
    post(digest_club, "Picnic")
    post(digest_club, "Quiz")
    send_digests(digest_club)

    member = digest_club.users[0]
    url = unsubscribe_url(member, digest_club.medium, digest_club.news)
    assert message_to(member).extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert (
        f"Stop these emails: {url}\nAll your notification settings: {PREFERENCES}\n"
        in message_to(member).body
    )


def test_the_one_click_unsubscribe_of_a_digest_stops_all_its_sources(digest_club):
    post(digest_club, "Picnic")
    helpers.event(digest_club.meetings, context={"title": "General assembly"})
    send_digests(digest_club)
    member = digest_club.users[0]
    message = message_to(member)
    url = unsubscribe_url(member, digest_club.medium, [digest_club.news, digest_club.meetings])
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [(html, _mimetype)] = message.alternatives
    assert f'<a href="{url}">Unsubscribe</a> · <a href="{PREFERENCES}">Notification settings</a>' in html

    said = []
    for _ in range(2):  # idempotent
        response = one_click(message.extra_headers["List-Unsubscribe"])
        assert response.status_code == 200
        said.append(response.content.decode())
        assert unsubscriptions() == [("member0", "email", "meetings"), ("member0", "email", "news-email")]
    assert "member0 no longer gets Meetings, News-Email by Email." in said[0]
    assert "member0 was already unsubscribed, and gets no Meetings, News-Email by Email." in said[1]

    mail.outbox.clear()
    post(digest_club, "Quiz")
    helpers.event(digest_club.meetings, context={"title": "Board meeting"})
    send_digests(digest_club)
    assert sorted(message.to[0] for message in mail.outbox) == ["member1@example.com", "member2@example.com"]


class ItemLinksChannel(EmailChannel):
    digest_text_template = "entity_event_tests/digest_items.txt"


@override_settings(ENTITY_EVENT_CHANNELS={"email": f"{__name__}.ItemLinksChannel"})
def test_each_item_of_a_digest_has_the_unsubscribe_url_of_its_source(digest_club):
    post(digest_club, "Picnic")
    helpers.event(digest_club.meetings, context={"title": "General assembly"})
    post(digest_club, "Quiz")
    send_digests(digest_club)

    member, medium = digest_club.users[0], digest_club.medium
    news, meetings = (
        unsubscribe_url(member, medium, source) for source in (digest_club.news, digest_club.meetings)
    )
    both = unsubscribe_url(member, medium, [digest_club.meetings, digest_club.news])
    assert (
        message_to(member).body
        == f"News-Email: {news}\nMeetings: {meetings}\nNews-Email: {news}\nAll: {both}"
    )


def count_digest_queries(world, sources: list, members: int) -> int:
    grow_and_post(world, sources, members)
    make_due(Delivery.objects.all())
    entity_ids = [user.pk for user in world.users]
    with CaptureQueriesContext(connection) as captured:
        tasks.send_digests.call(world.medium.pk, entity_ids)
    assert len(mail.outbox) == members
    mail.outbox.clear()
    return len(helpers.statements(captured))


def test_the_links_of_digests_cost_no_query_whatever_the_sources_and_readers(digest_club, dummy_tasks):
    small = count_digest_queries(digest_club, [digest_club.news], members=3)
    others = [add_source(digest_club, name) for name in ("trips", "matches")]
    large = count_digest_queries(digest_club, [digest_club.news, digest_club.meetings, *others], members=5)
    assert small == large
