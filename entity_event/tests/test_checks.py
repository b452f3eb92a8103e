"""``manage.py check``: each misconfiguration of entity_event's settings, reported with its id."""

from io import StringIO

import pytest
from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import modify_settings, override_settings

from entity_event import app_settings
from entity_event.checks import check_mediums_exist
from entity_event.models import Medium
from entity_event.tests import helpers

EMAIL = {"email": "entity_event.channels.EmailChannel"}
HOOKS = {"hooks": "entity_event.channels.WebhookChannel"}
A_WEBHOOK = {"url": "https://hooks.example.com/events", "secret": "s3cret"}
WELL_CONFIGURED = {"ENTITY_EVENT_CHANNELS": {**EMAIL, **HOOKS}, "ENTITY_EVENT_WEBHOOKS": {"hooks": A_WEBHOOK}}


def reported(**settings) -> list[tuple[str, str]]:
    """``(id, message)`` of what entity_event's checks report under ``settings``."""
    with override_settings(**settings):
        return [(message.id, message.msg) for message in checks.run_checks(tags=["entity_event"])]


def test_the_project_of_this_repository_is_well_configured():
    assert reported() == []
    assert (
        reported(ENTITY_EVENT_CHANNELS={**EMAIL, **HOOKS}, ENTITY_EVENT_WEBHOOKS={"hooks": A_WEBHOOK}) == []
    )


def webhook_with(**config) -> dict:
    """Settings of a webhook medium whose entry is ``A_WEBHOOK`` changed by ``config``."""
    return {"ENTITY_EVENT_CHANNELS": HOOKS, "ENTITY_EVENT_WEBHOOKS": {"hooks": {**A_WEBHOOK, **config}}}


@pytest.mark.parametrize(
    ("settings", "check_id", "says"),
    [
        (
            {"ENTITY_EVENT_CHANNELS": {"email": "entity_event.channels.Pigeon"}},
            "E001",
            "ENTITY_EVENT_CHANNELS['email'] is 'entity_event.channels.Pigeon', which does not import",
        ),
        (
            {"ENTITY_EVENT_CHANNELS": {"email": "entity_event.channels.entity_meta_email"}},
            "E002",
            "'entity_event.channels.entity_meta_email', which is not a channel class.",
        ),
        (
            {"ENTITY_EVENT_CHANNELS": EMAIL, "ENTITY_EVENT_DIGESTS": {"email": "weekly"}},
            "E003",
            "ENTITY_EVENT_DIGESTS['email'] is 'weekly', which is no digest period.",
        ),
        (
            {"ENTITY_EVENT_CHANNELS": EMAIL, "ENTITY_EVENT_DIGESTS": {"sms": "daily"}},
            "E004",
            "ENTITY_EVENT_DIGESTS names the medium 'sms', which no channel delivers.",
        ),
        (webhook_with(url="ftp://x"), "E005", "['hooks'] has the URL 'ftp://x', which is not an http(s)"),
        (
            webhook_with(url="https:///e"),
            "E005",
            "['hooks'] has the URL 'https:///e', which is not an http(s)",
        ),
        (
            webhook_with(secret=""),
            "E006",
            "ENTITY_EVENT_WEBHOOKS['hooks'] has no secret to sign its requests",
        ),
        (webhook_with(timeout=0), "E007", "['hooks']['timeout'] is 0; it is a positive number of seconds"),
        (
            {**webhook_with(timeout=30), "ENTITY_EVENT_DELIVERY_LEASE": 30},
            "E007",
            "['hooks']['timeout'] is 30 seconds, not below ENTITY_EVENT_DELIVERY_LEASE (30 seconds)",
        ),
        (
            {"ENTITY_EVENT_REQUEST_ENTITY": "entity_event.web.entity.nobody"},
            "E008",
            "ENTITY_EVENT_REQUEST_ENTITY is 'entity_event.web.entity.nobody', which does not import",
        ),
        (
            {"ENTITY_EVENT_REQUEST_ENTITY": "entity_event.app_settings.DEFAULT_WEBHOOK_TIMEOUT"},
            "E008",
            "'entity_event.app_settings.DEFAULT_WEBHOOK_TIMEOUT', which is not callable",
        ),
        (
            {"ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS": 0},
            "E009",
            "ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS is 0, which is not a positive whole number.",
        ),
        ({"ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS": 2.5}, "E009", "MAX_ATTEMPTS is 2.5, which is not a positive"),
        (
            {"ENTITY_EVENT_DELIVERY_LEASE": -1},
            "E010",
            "ENTITY_EVENT_DELIVERY_LEASE is -1, which is not a positive number of seconds.",
        ),
        ({"ENTITY_EVENT_DELIVERY_LEASE": True}, "E010", "DELIVERY_LEASE is True, which is not a positive"),
        ({"ENTITY_EVENT_LISTEN_DATABASE": 5}, "E040", "LISTEN_DATABASE is 5, which is no database."),
        ({"ENTITY_EVENT_LISTEN_DATABASE": " "}, "E040", "LISTEN_DATABASE is ' ', which is no database."),
        (
            {"ENTITY_EVENT_LISTEN_DATABASE": "nope"},
            "E041",
            "'nope', which is neither a DSN nor",
        ),
    ],
)
def test_each_misconfiguration_is_reported_with_its_id(settings, check_id, says):
    [(reported_id, message)] = reported(**settings)
    assert reported_id == f"entity_event.{check_id}"
    assert says in message


@pytest.mark.parametrize("webhooks", [{}, {"hooks": "https://hooks.example.com/events"}])
def test_a_webhook_medium_without_an_entry_lacks_both_url_and_secret(webhooks):
    reported_ids = [
        check_id
        for check_id, _message in reported(ENTITY_EVENT_CHANNELS=HOOKS, ENTITY_EVENT_WEBHOOKS=webhooks)
    ]
    assert reported_ids == ["entity_event.E005", "entity_event.E006"]


def test_zero_attempts_and_lease_are_kept_as_given_for_the_check_to_refuse():
    with override_settings(ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS=0, ENTITY_EVENT_DELIVERY_LEASE=0):
        assert (app_settings.delivery_max_attempts(), app_settings.delivery_lease_seconds()) == (0, 0)
    assert (app_settings.delivery_max_attempts(), app_settings.delivery_lease_seconds()) == (5, 300)


@override_settings(ENTITY_EVENT_CHANNELS=EMAIL, ENTITY_EVENT_BASE_URL=None)
def test_email_links_need_a_base_url_or_the_sites_framework():
    assert reported() == []  # the current Site gives the domain
    with modify_settings(INSTALLED_APPS={"remove": "django.contrib.sites"}):
        [(check_id, message)] = reported()
    assert check_id == "entity_event.E011"
    assert message.startswith("The email channel of 'email' puts links in every message, and neither ")


def test_manage_py_check_fails_with_the_message_and_its_hint():
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "weekly"}):
        with pytest.raises(SystemCheckError) as raised:
            call_command("check", stdout=StringIO())
    assert "(entity_event.E003) ENTITY_EVENT_DIGESTS['email'] is 'weekly'" in str(raised.value)
    assert "HINT: A digest period is one of 'hourly', 'daily'." in str(raised.value)


@pytest.mark.django_db
def test_with_the_database_mediums_named_in_the_settings_must_exist():
    helpers.medium("email")
    with override_settings(
        ENTITY_EVENT_CHANNELS={**EMAIL, **HOOKS}, ENTITY_EVENT_WEBHOOKS={"hooks": A_WEBHOOK}
    ):
        assert check_mediums_exist() == []  # without --database, no query
        [warning] = check_mediums_exist(databases=["default"])
        assert reported(ENTITY_EVENT_DIGESTS={}) == []  # manage.py check without --database
    assert (warning.id, warning.level) == ("entity_event.W001", checks.WARNING)
    assert warning.msg.startswith("The settings name the medium 'hooks', which the database does not hold")


@pytest.mark.django_db
def test_before_migrate_creates_the_tables_the_database_check_says_nothing(monkeypatch):
    monkeypatch.setattr(Medium._meta, "db_table", "not_migrated_yet")
    assert check_mediums_exist(databases=["default"]) == []


@pytest.mark.parametrize(
    "value", [None, "default", "dbname=app host=db.internal", "postgresql://app@db.internal/app"]
)
def test_the_listening_database_is_unset_an_alias_of_postgresql_or_a_dsn(value, monkeypatch):
    monkeypatch.setitem(settings.DATABASES, "default", {**settings.DATABASES["default"]})
    settings.DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"

    assert reported(ENTITY_EVENT_LISTEN_DATABASE=value) == []


def test_the_listening_database_must_be_postgresql(monkeypatch):
    monkeypatch.setitem(settings.DATABASES, "notes", {"ENGINE": "django.db.backends.sqlite3"})

    [(check_id, message)] = reported(ENTITY_EVENT_LISTEN_DATABASE="notes")

    assert check_id == "entity_event.E042"
    assert message == (
        "ENTITY_EVENT_LISTEN_DATABASE names 'notes', whose engine 'django.db.backends.sqlite3' "
        "is not PostgreSQL."
    )


@pytest.mark.parametrize(
    ("settings", "check_id", "says"),
    [
        (
            {"ENTITY_EVENT_ENTITY_LANGUAGE": "entity_event.languages.nowhere"},
            "E030",
            "ENTITY_EVENT_ENTITY_LANGUAGE is 'entity_event.languages.nowhere', which does not import",
        ),
        (
            {"ENTITY_EVENT_ENTITY_LANGUAGE": "entity_event.languages.Locale._fields"},
            "E030",
            "which does not import",
        ),
        (
            {"ENTITY_EVENT_ENTITY_LANGUAGE": "entity_event.app_settings.DEFAULT_WEBHOOK_TIMEOUT"},
            "E031",
            "LANGUAGE is 'entity_event.app_settings.DEFAULT_WEBHOOK_TIMEOUT', which is not callable.",
        ),
        (
            {"ENTITY_EVENT_ENTITY_TIMEZONE": "pigeon.zone"},
            "E032",
            "ENTITY_EVENT_ENTITY_TIMEZONE is 'pigeon.zone', which does not import",
        ),
        (
            {"ENTITY_EVENT_ENTITY_TIMEZONE": "entity_event.app_settings.DEFAULT_WEBHOOK_TIMEOUT"},
            "E033",
            "TIMEZONE is 'entity_event.app_settings.DEFAULT_WEBHOOK_TIMEOUT', which is not callable.",
        ),
        (
            {"ENTITY_EVENT_DAILY_DIGEST_HOUR": 24},
            "E034",
            "DAILY_DIGEST_HOUR is 24, which is no hour of the day.",
        ),
        ({"ENTITY_EVENT_DAILY_DIGEST_HOUR": -1}, "E034", "DAILY_DIGEST_HOUR is -1, which is no hour"),
        ({"ENTITY_EVENT_DAILY_DIGEST_HOUR": "7"}, "E034", "DAILY_DIGEST_HOUR is '7', which is no hour"),
        ({"ENTITY_EVENT_DAILY_DIGEST_HOUR": True}, "E034", "DAILY_DIGEST_HOUR is True, which is no hour"),
    ],
)
def test_each_language_and_time_zone_misconfiguration_is_reported_with_its_id(settings, check_id, says):
    [(reported_id, message)] = reported(**settings)
    assert reported_id == f"entity_event.{check_id}"
    assert says in message


def test_a_custom_language_and_time_zone_and_any_hour_of_the_day_are_accepted():
    assert (
        reported(
            ENTITY_EVENT_ENTITY_LANGUAGE="entity_event.languages.entity_meta_timezone",
            ENTITY_EVENT_ENTITY_TIMEZONE="entity_event.languages.entity_meta_language",
            ENTITY_EVENT_DAILY_DIGEST_HOUR=23,
        )
        == []
    )
    assert reported(ENTITY_EVENT_DAILY_DIGEST_HOUR=0) == []
