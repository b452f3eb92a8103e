"""The demo's pages in the signed-in employee's own language and time zone, else the browser's."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from demo.tests.test_preferences import PREFERENCES

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]


def test_frank_reads_the_settings_in_french_whatever_his_browser_asks(client, company):
    client.force_login(company["users"]["frank"])

    response = client.get(PREFERENCES, HTTP_ACCEPT_LANGUAGE="de")

    page = response.content.decode()
    assert "<h1>Paramètres de notification</h1>" in page
    assert "Annonces" not in page  # the names of sources and mediums are the project's data
    assert translation.get_language() != "fr"  # Frank's language and time zone end with his request
    assert timezone.get_current_timezone_name() != "Europe/Paris"


def test_the_others_read_the_language_of_their_browser(client, company):
    client.force_login(company["users"]["alice"])

    assert (
        "<h1>Benachrichtigungseinstellungen</h1>"
        in client.get(PREFERENCES, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    )
    assert "<h1>Notification settings</h1>" in client.get(PREFERENCES).content.decode()


def test_signed_out_visitors_read_the_language_of_their_browser(client, company):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200


def test_frank_reads_the_feed_s_messages_and_errors_in_french(client, company):
    client.force_login(company["users"]["frank"])
    client.post(reverse("demo:mark_all_seen"))

    refused = client.post(reverse("demo:mark_all_seen"), {"up_to": "x"})
    marked = client.post(reverse("demo:mark_all_seen"), follow=True)

    assert refused.status_code == 400
    assert refused.content.decode() == (
        "up_to n’est pas un identifiant d’événement : 'x' n’est pas un nombre entier de 0 à"
        " 9223372036854775807."
    )
    assert "0 événement marqué comme vu." in marked.content.decode()  # French counts 0 as singular
