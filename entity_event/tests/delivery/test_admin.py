"""The delivery admin: filters by status and medium, the error shown, and a retry action."""

from django.core import mail
from django.urls import reverse

from entity_event.admin import moment
from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import post

CHANGELIST = reverse("admin:entity_event_delivery_changelist")


def test_the_list_filters_by_status_and_medium_and_shows_the_error(admin_client, club):
    club.users[0].entity_meta = {}
    club.users[0].save()
    post(club)
    club.medium.deliver()

    response = admin_client.get(CHANGELIST, {"status__exact": "failed", "medium__id__exact": club.medium.pk})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(Delivery.objects.filter(status="failed"))
    assert "has no email address" in response.text
    assert admin_client.get(CHANGELIST, {"status__exact": "sent"}).context["cl"].result_count == 2


def test_retry_sends_failed_deliveries_again_and_leaves_sent_ones(admin_client, club):
    club.users[0].entity_meta = {}
    club.users[0].save()
    post(club)
    club.medium.deliver()
    club.users[0].entity_meta = {"email": "member0@example.com"}
    club.users[0].save()
    mail.outbox = []

    response = admin_client.post(
        CHANGELIST,
        {"action": "retry", "_selected_action": list(Delivery.objects.values_list("pk", flat=True))},
        follow=True,
    )

    assert "1 delivery will be tried again." in response.text
    assert [m.to for m in mail.outbox] == [["member0@example.com"]]
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_retrying_sent_deliveries_sends_nothing(admin_client, club):
    post(club)
    club.medium.deliver()
    mail.outbox = []

    response = admin_client.post(
        CHANGELIST,
        {"action": "retry", "_selected_action": list(Delivery.objects.values_list("pk", flat=True))},
        follow=True,
    )

    assert "0 deliveries will be tried again." in response.text and mail.outbox == []


def test_an_event_page_shows_each_recipients_delivery_status(admin_client, club):
    club.users[0].entity_meta = {}  # no address: its delivery fails
    club.users[0].save()
    event = post(club)
    club.medium.deliver()
    late = helpers.entity("member9", supers=[club.club])  # joined after the delivery was planned

    response = admin_client.get(reverse("admin:entity_event_event_change", args=[event.pk]))

    (preview,) = response.context["recipients"]
    assert response.context["recipient_columns"] == ["delivery"]
    statuses = {entity.display_name: values for entity, values in preview["rows"]}
    sent = Delivery.objects.get(entity=club.users[1])
    assert statuses == {
        "member0": ["failed after 1 attempt"],
        "member1": [f"sent {moment(sent.time_sent)}"],
        "member2": [f"sent {moment(Delivery.objects.get(entity=club.users[2]).time_sent)}"],
        late.display_name: ["none planned"],
    }
    assert "failed after 1 attempt" in response.text and "none planned" in response.text
