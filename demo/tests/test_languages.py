"""The demo's pages in the signed-in employee's own language and time zone, else the browser's."""

import pytest
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
