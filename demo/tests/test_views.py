"""The demo pages driven through the test client."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from entity.models import Entity

from demo import feed, signins
from demo.seeding import entity_for
from demo.tests import events
from entity_event.models import ContextRenderer, Event, EventSeen

pytestmark = pytest.mark.django_db


def signed_in(client, user: User):
    client.force_login(user)
    return client


def feed_texts(response) -> list[str]:
    return [item.text for item in response.context["items"]]


@pytest.mark.parametrize("name", ["demo:feed", "demo:post_event"])
def test_pages_send_anonymous_visitors_to_the_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('demo:login')}?next={reverse(name)}"


def test_signing_in_with_the_demo_password_opens_the_feed(client):
    User.objects.create_user("alice", password="demo")
    page = client.get(reverse("demo:login"))
    assert page.status_code == 200 and b"Sign in" in page.content
    response = client.post(reverse("demo:login"), {"username": "alice", "password": "demo"})
    assert response.status_code == 302 and response["Location"] == reverse("demo:feed")
    assert client.get(reverse("demo:feed")).status_code == 200


def test_before_seeding_the_feed_says_how_to_seed(client):
    response = signed_in(client, User.objects.create_user("alice")).get(reverse("demo:feed"))
    assert b"run <code>manage.py seed_demo</code>" in response.content
    assert b"Marked 0 events seen." in client.post(reverse("demo:mark_all_seen"), follow=True).content


def test_a_wrong_password_stays_on_the_sign_in_with_an_error(client):
    User.objects.create_user("alice", password="demo")
    response = client.post(reverse("demo:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_signing_out(client):
    signed_in(client, User.objects.create_user("alice"))
    response = client.post(reverse("demo:logout"))
    assert response["Location"] == reverse("demo:login")
    assert client.get(reverse("demo:feed")).status_code == 302


def test_opening_the_sign_out_address_offers_the_button(client):
    signed_in(client, User.objects.create_user("alice", first_name="Alice"))
    page = client.get(reverse("demo:logout"))
    assert page.status_code == 200
    assert "You are signed in as Alice." in page.text and 'id="sign-out"' in page.text
    assert "_auth_user_id" in client.session
    client.post(reverse("demo:logout"))
    assert "You are signed out" in client.get(reverse("demo:logout")).text


@pytest.mark.entity_sync
def test_the_feed_shows_the_users_events_newest_first_with_unseen_ones_highlighted(client, company):
    old = events.announcement(company, "Old news", minutes_ago=60)
    events.announcement(company, "Fresh news", minutes_ago=1)
    company["mediums"]["newsfeed"].inbox(entity_for(company["users"]["alice"])).mark_seen(old)
    response = signed_in(client, company["users"]["alice"]).get(reverse("demo:feed"))
    assert [(item.text, item.seen) for item in response.context["items"]] == [
        ("Announcement: Fresh news", False),
        ("Announcement: Old news", True),
    ]
    page = response.content.decode()
    assert "<strong>Announcement:</strong> Fresh news" in page
    assert page.count('class="card unseen"') == 1
    assert (
        'id="unseen-count" title="unseen events" data-url="/notifications/newsfeed/unseen-count/?limit=99">'
        "1</span>" in page
    )


@pytest.mark.entity_sync
def test_the_badge_is_hidden_when_nothing_is_unseen(client, company):
    page = signed_in(client, company["users"]["alice"]).get(reverse("demo:feed")).content.decode()
    assert 'data-url="/notifications/newsfeed/unseen-count/?limit=99" hidden>0</span>' in page


def test_only_staff_see_the_link_to_the_admin(client):
    employee = signed_in(Client(), User.objects.create_user("alice")).get(reverse("demo:feed"))
    staff = signed_in(Client(), User.objects.create_user("ada", is_staff=True)).get(reverse("demo:feed"))
    signed_out = client.get(reverse("demo:login"))
    pages = (employee, staff, signed_out)
    assert [b'href="/admin/"' in page.content for page in pages] == [False, True, False]


@pytest.mark.entity_sync
def test_each_user_sees_only_their_own_feed(client, company):
    alice, bob, carol = (company["users"][name] for name in ("alice", "bob", "carol"))
    events.photo(company, carol, [alice], "Team lunch")
    events.photo(company, carol, [bob], "Sales kick-off")
    alice_feed = feed_texts(signed_in(client, alice).get(reverse("demo:feed")))
    bob_feed = feed_texts(signed_in(client, bob).get(reverse("demo:feed")))
    carol_feed = feed_texts(signed_in(client, carol).get(reverse("demo:feed")))
    assert alice_feed == ["Carol Nguyen shared a photo with Alice Martin: Team lunch"]
    assert bob_feed == ["Carol Nguyen shared a photo with Bob Keller: Sales kick-off"]
    assert len(carol_feed) == 2


@pytest.mark.entity_sync
def test_the_feed_is_paginated(client, company):
    for number in range(feed.EVENTS_PER_PAGE + 3):
        events.announcement(company, f"News {number}", minutes_ago=number)
    client = signed_in(client, company["users"]["alice"])
    first = client.get(reverse("demo:feed"))
    second = client.get(reverse("demo:feed"), {"page": 2})
    assert len(first.context["items"]) == feed.EVENTS_PER_PAGE
    assert [text.split()[-1] for text in feed_texts(second)] == ["20", "21", "22"]
    assert b"Page 2 of 2" in second.content


@pytest.mark.entity_sync
def test_mark_all_seen_marks_the_newsfeed_seen_for_the_signed_in_user_only(client, company):
    alice, bob = company["users"]["alice"], company["users"]["bob"]
    events.announcement(company, "One")
    events.announcement(company, "Two")
    client = signed_in(client, alice)
    response = client.post(reverse("demo:mark_all_seen"), follow=True)
    assert b"Marked 2 events seen." in response.content
    assert [item.seen for item in response.context["items"]] == [True, True]
    assert feed.unseen_count(alice) == 0
    assert feed.unseen_count(bob) == 2
    assert feed.inbox(alice, feed.NOTIFICATION_BAR).unseen_count() == 2
    assert not EventSeen.objects.exists()


@pytest.mark.entity_sync
def test_mark_all_seen_marks_up_to_the_newest_event_the_page_showed(client, company):
    alice = company["users"]["alice"]
    events.announcement(company, "One")
    client = signed_in(client, alice)
    page = client.get(reverse("demo:feed"))
    shown = page.context["newest_shown"]
    events.announcement(company, "Arrived after the page")  # a higher id

    assert f'name="up_to" value="{shown}"' in page.content.decode()
    response = client.post(reverse("demo:mark_all_seen"), {"up_to": str(shown)}, follow=True)

    assert b"Marked 1 event seen." in response.content
    assert [(item.text, item.seen) for item in response.context["items"]] == [
        ("Announcement: Arrived after the page", False),
        ("Announcement: One", True),
    ]


@pytest.mark.entity_sync
@pytest.mark.parametrize("bad", ["", "-1", "²", "9" * 30])
def test_mark_all_seen_refuses_an_up_to_that_is_not_an_event_id_naming_it(client, company, bad):
    events.announcement(company, "One")
    client = signed_in(client, company["users"]["alice"])

    response = client.post(reverse("demo:mark_all_seen"), {"up_to": bad})

    assert response.status_code == 400 and repr(bad) in response.content.decode()
    assert feed.unseen_count(company["users"]["alice"]) == 1


@pytest.mark.entity_sync
@pytest.mark.parametrize(("count", "badge"), [(99, ">99</span>"), (100, ">99+</span>")])
def test_the_badge_counts_up_to_99_then_shows_99_plus(client, company, count, badge):
    for number in range(count):
        events.announcement(company, f"News {number}")

    page = signed_in(client, company["users"]["alice"]).get(reverse("demo:feed")).content.decode()

    assert f'?limit=99"{badge}' in page


@pytest.mark.entity_sync
def test_each_item_can_be_marked_seen_on_its_own(client, company):
    alice = company["users"]["alice"]
    for number in range(feed.EVENTS_PER_PAGE + 2):
        events.announcement(company, f"News {number}", minutes_ago=number)
    oldest = Event.objects.order_by("time").first()
    client = signed_in(client, alice)
    page = client.get(reverse("demo:feed"), {"page": 2}).content.decode()
    assert f'action="{reverse("demo:mark_one_seen", args=[oldest.pk])}"' in page

    response = client.post(reverse("demo:mark_one_seen", args=[oldest.pk]), {"page": "2"})

    assert response["Location"] == f"{reverse('demo:feed')}?page=2"
    assert [item.seen for item in client.get(response["Location"]).context["items"]] == [False, True]
    assert feed.unseen_count(alice) == feed.EVENTS_PER_PAGE + 1
    assert feed.unseen_count(company["users"]["bob"]) == feed.EVENTS_PER_PAGE + 2
    response = client.post(reverse("demo:mark_one_seen", args=[oldest.pk]), {"page": "x"})
    assert response["Location"] == reverse("demo:feed")


@pytest.mark.parametrize("name", ["demo:mark_all_seen", "demo:dismiss_notifications"])
def test_a_get_on_a_button_address_is_a_readable_page(client, name):
    signed_in(client, User.objects.create_user("alice"))
    response = client.get(reverse(name))
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert b"This address is the target of a button" in response.content
    assert b'href="/"' in response.content


def test_a_user_without_an_entity_gets_an_empty_feed_that_says_why(client, company_without_routing):
    user = User.objects.create_user("newcomer")
    client = signed_in(client, user)  # saves the user: syncing (where it runs) makes its entity
    Entity.all_objects.filter(entity_type__model="user", entity_id=user.pk).delete(force=True)
    response = client.get(reverse("demo:feed"))
    assert response.context["items"] == [] and b"has no entity yet" in response.content
    assert b"Marked 0 events seen." in client.post(reverse("demo:mark_all_seen"), follow=True).content


@pytest.mark.entity_sync
def test_posting_an_event_reaches_the_tagged_colleague(client, company):
    alice, bob = company["users"]["alice"], company["users"]["bob"]
    client = signed_in(client, alice)
    form = client.get(reverse("demo:post_event")).context["form"]
    assert "Bob Keller" in [label for _value, label in form.fields["tagged"].choices]
    assert alice not in form.fields["tagged"].queryset  # nobody tags themselves
    data = {"source": company["sources"]["photo-tag"].pk, "text": "Hackathon", "tagged": [bob.pk]}
    response = client.post(reverse("demo:post_event"), data)
    assert response["Location"] == reverse("demo:feed")
    event = Event.objects.get()
    assert event.context == {
        "user": alice.pk,
        "author": "Alice Martin",
        "text": "Hackathon",
        "tagged": ["Bob Keller"],
    }
    actors = set(event.eventactor_set.values_list("entity", flat=True))
    assert actors == {entity_for(alice).pk, entity_for(bob).pk}
    bob_feed = feed_texts(signed_in(client, bob).get(reverse("demo:feed")))
    assert bob_feed == ["Alice Martin shared a photo with Bob Keller: Hackathon"]
    assert feed_texts(signed_in(client, company["users"]["carol"]).get(reverse("demo:feed"))) == []


def test_posting_without_text_is_a_form_error_and_stores_nothing(client, company_without_routing):
    client = signed_in(client, User.objects.create_user("alice"))
    source = company_without_routing["sources"]["photo-tag"]
    response = client.post(reverse("demo:post_event"), {"source": source.pk, "text": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"text": ["This field is required."]}
    assert not Event.objects.exists()


@pytest.mark.entity_sync
def test_sign_ins_name_the_user_through_a_context_hint(client, company):
    events.sign_in(company, company["users"]["alice"], "a laptop")
    admin_feed = feed_texts(signed_in(client, company["users"]["admin"]).get(reverse("demo:feed")))
    alice_feed = feed_texts(signed_in(client, company["users"]["alice"]).get(reverse("demo:feed")))
    bob_feed = feed_texts(signed_in(client, company["users"]["bob"]).get(reverse("demo:feed")))
    assert admin_feed == ["Alice Martin signed in from a laptop."]
    assert alice_feed == bob_feed == []


@pytest.mark.entity_sync
def test_an_event_without_a_renderer_gets_a_plain_line_instead_of_breaking_the_feed(client, company):
    ContextRenderer.objects.filter(source=company["sources"]["announcement"]).delete()
    events.announcement(company, "Unrendered")
    response = signed_in(client, company["users"]["alice"]).get(reverse("demo:feed"))
    assert feed_texts(response) == ["Announcements: an event with no renderer for the Newsfeed medium."]


@pytest.mark.entity_sync
def test_the_notification_bar_shows_the_newest_announcement_until_dismissed(client, company):
    events.announcement(company, "Fire drill at 3", minutes_ago=5)
    events.announcement(company, "Pizza at noon")
    client = signed_in(client, company["users"]["alice"])
    page = client.get(reverse("demo:post_event")).content.decode()
    assert "<span><strong>Announcement:</strong> Pizza at noon</span>" in page
    assert "Fire drill" not in page
    response = client.post(reverse("demo:dismiss_notifications"), follow=True)
    assert b'id="notification-bar"' not in response.content
    assert feed.unseen_count(company["users"]["alice"]) == 2  # the newsfeed keeps its own seen marks
    carol_page = signed_in(Client(), company["users"]["carol"]).get(reverse("demo:feed")).content.decode()
    assert "<span><strong>Announcement:</strong> Pizza at noon</span>" in carol_page  # still there for Carol


@pytest.mark.entity_sync
def test_a_page_fetches_its_notification_bar_alone_when_its_stream_says_it_changed(client, company):
    alice_client = signed_in(client, company["users"]["alice"])
    page = alice_client.get(reverse("demo:feed")).content.decode()
    assert (
        '<div id="notification-slot" data-stream="/notifications/notification-bar/stream/?limit=1"'
        ' data-url="/notifications/bar/">'
    ) in page
    assert alice_client.get(reverse("demo:notification_bar")).content.decode().strip() == ""

    events.announcement(company, "Pizza at noon")
    bar = alice_client.get(reverse("demo:notification_bar"))

    assert "<span><strong>Announcement:</strong> Pizza at noon</span>" in bar.content.decode()
    assert 'name="csrfmiddlewaretoken"' in bar.content.decode()
    assert "no-store" in bar["Cache-Control"]
    assert Client().get(reverse("demo:notification_bar")).status_code == 403  # no login page in the bar


@pytest.mark.entity_sync
def test_an_authors_own_post_is_seen_by_the_author_and_unseen_by_the_others(client, company):
    alice, bob = company["users"]["alice"], company["users"]["bob"]
    data = {"source": company["sources"]["photo-tag"].pk, "text": "Hackathon", "tagged": [bob.pk]}
    signed_in(client, alice).post(reverse("demo:post_event"), data)

    assert [item.seen for item in client.get(reverse("demo:feed")).context["items"]] == [True]
    assert feed.unseen_count(alice) == 0
    assert feed.unseen_count(bob) == 1


@pytest.mark.entity_sync
def test_only_staff_may_post_announcements(client, company):
    announcement = company["sources"]["announcement"]
    data = {"source": announcement.pk, "text": "Free cake"}
    client = signed_in(client, company["users"]["alice"])
    assert (
        announcement not in client.get(reverse("demo:post_event")).context["form"].fields["source"].queryset
    )

    response = client.post(reverse("demo:post_event"), data)

    assert response.status_code == 200 and "source" in response.context["form"].errors
    assert not Event.objects.exists()
    signed_in(client, company["users"]["admin"]).post(reverse("demo:post_event"), data)
    assert Event.objects.get().context["text"] == "Free cake"


@pytest.mark.entity_sync
def test_sign_ins_come_from_real_sign_ins_not_from_the_post_form(client, company, sign_in_events):
    sign_ins = company["sources"]["login"]
    client.post(reverse("demo:login"), {"username": "alice", "password": "demo"}, HTTP_USER_AGENT="Mobile")

    event = Event.objects.get(source=sign_ins)
    assert event.context == {"user": company["users"]["alice"].pk, "device": "a phone"}
    admin_feed = feed_texts(signed_in(Client(), company["users"]["admin"]).get(reverse("demo:feed")))
    assert "Alice Martin signed in from a phone." in admin_feed
    assert sign_ins not in client.get(reverse("demo:post_event")).context["form"].fields["source"].queryset


@pytest.mark.entity_sync
def test_signing_in_again_and_again_adds_nothing_to_ones_own_feed(client, company, sign_in_events):
    for _ in range(3):
        client.post(reverse("demo:login"), {"username": "alice", "password": "demo"})
    assert Event.objects.filter(source=company["sources"]["login"]).count() == 3
    assert feed_texts(client.get(reverse("demo:feed"))) == []


@pytest.mark.entity_sync
def test_the_admins_log_of_sign_ins_keeps_his_own_each_seen(client, company, sign_in_events):
    for _ in range(2):
        client.post(reverse("demo:login"), {"username": "admin", "password": "admin"})
    items = client.get(reverse("demo:feed")).context["items"]
    assert [(item.text, item.seen) for item in items] == [("Ada Admin signed in.", True)] * 2


@pytest.mark.parametrize(
    ("agent", "device"),
    [("", ""), ("Mozilla/5.0 (iPad)", "a tablet"), ("Mozilla/5.0 (X11; Linux)", "a computer")],
)
def test_the_device_of_a_sign_in_comes_from_the_user_agent(rf, agent, device):
    assert signins.device_of(rf.get("/", HTTP_USER_AGENT=agent)) == device
    assert signins.device_of(None) == ""


def test_signing_in_before_seeding_stores_no_event(client, sign_in_events):
    User.objects.create_user("alice", password="demo")
    client.post(reverse("demo:login"), {"username": "alice", "password": "demo"})
    assert "_auth_user_id" in client.session and not Event.objects.exists()
