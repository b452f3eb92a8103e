"""Serializing loaded contexts into data that ``json.dumps`` accepts."""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from entity_event.context_serializer import DefaultContextSerializer
from entity_event.models import Event, Medium, Source, SourceGroup
from entity_event.tests import helpers
from entity_event.tests.models import Account, Invoice


def serialize(context):
    data = DefaultContextSerializer(context).data
    assert json.loads(json.dumps(data)) == data
    return data


def test_json_values_stay_as_they_are():
    context = {"text": "hi", "count": 2, "ratio": 0.5, "ok": True, "nothing": None, "list": [1, "a"]}
    assert serialize(context) == context


def test_dates_times_decimals_and_uuids_become_strings():
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    context = {
        "moment": datetime(2015, 1, 1, 9, 30, 15, 123456, tzinfo=UTC),
        "day": date(2015, 1, 1),
        "clock": time(9, 30),
        "wait": timedelta(minutes=5),
        "price": Decimal("10.50"),
        "key": key,
        "label": gettext_lazy("Login"),
    }

    assert serialize(context) == {
        "moment": "2015-01-01T09:30:15.123456+00:00",
        "day": "2015-01-01",
        "clock": "09:30:00",
        "wait": "P0DT00H05M00S",
        "price": "10.50",
        "key": str(key),
        "label": "Login",
    }


def test_other_objects_become_their_text():
    class Temperature:
        def __str__(self):
            return "21 degrees"

    assert serialize({"outside": Temperature()}) == {"outside": "21 degrees"}


def test_tuples_and_sets_become_lists_and_keys_strings():
    assert serialize({"pair": (1, 2), "single": {3}, 4: "four"}) == {
        "pair": [1, 2],
        "single": [3],
        "4": "four",
    }


def test_json_text_of_objects_and_arrays_is_decoded_other_strings_stay():
    context = {
        "object": '{"a": {"b": 1}}',
        "array": " [1, 2]",
        "number": "12",
        "flag": "true",
        "broken": "{not json",
    }

    assert serialize(context) == {
        "object": {"a": {"b": 1}},
        "array": [1, 2],
        "number": "12",
        "flag": "true",
        "broken": "{not json",
    }


@pytest.mark.django_db
def test_a_model_becomes_a_dict_of_its_fields_with_foreign_keys_as_ids():
    source = helpers.source("photo-tag", group="photos")
    fetched = Source.objects.get(pk=source.pk)

    with CaptureQueriesContext(connection) as captured:
        data = serialize({"source": fetched})

    assert helpers.statements(captured) == []
    assert data["source"] == {
        "id": source.pk,
        "name": "photo-tag",
        "display_name": "Photo-Tag",
        "description": "photo-tag",
        "group": source.group_id,
        "group_by": "",
    }


@pytest.mark.django_db
def test_related_objects_in_memory_are_included_without_queries():
    source = helpers.source("photo-tag", group="photos")
    helpers.source("photo-like", group="photos")
    event = helpers.event(source, context={"photo": 1})
    medium = helpers.medium("newsfeed")
    fetched_event = Event.objects.select_related("source__group").get(pk=event.pk)
    fetched_medium = Medium.objects.select_related("rendering_style").get(pk=medium.pk)
    group = SourceGroup.objects.prefetch_related("source_set").get(name="photos")

    with CaptureQueriesContext(connection) as captured:
        data = serialize({"event": fetched_event, "medium": fetched_medium, "group": group})

    assert helpers.statements(captured) == []
    assert data["event"]["source"]["group"]["name"] == "photos"
    assert data["event"]["time"] == event.time.isoformat()
    assert data["event"]["context"] == {"photo": 1}
    assert data["medium"]["rendering_style"] is None
    assert sorted(member["name"] for member in data["group"]["source_set"]) == ["photo-like", "photo-tag"]


def test_a_foreign_key_to_a_row_keyed_by_a_uuid_holds_the_uuid_as_text():
    account = Account(id=uuid.UUID("12345678-1234-5678-1234-567812345678"))
    invoice = Invoice(id=7, account_id=account.id)

    assert serialize({"invoice": invoice}) == {
        "invoice": {"id": 7, "account": "12345678-1234-5678-1234-567812345678"}
    }


@pytest.mark.django_db
def test_an_object_met_again_inside_itself_is_given_by_its_primary_key():
    source = helpers.source("photo-tag", group="photos")
    helpers.event(source)
    fetched = Source.objects.prefetch_related("event_set").get(pk=source.pk)

    data = serialize({"source": fetched})

    (event,) = data["source"]["event_set"]
    assert event["source"] == source.pk


@pytest.mark.django_db
def test_a_subclass_can_change_how_models_are_serialized():
    class NamesOnly(DefaultContextSerializer):
        def serialize_model(self, value):
            return str(value) if isinstance(value, Model) else value

    source = helpers.source("photo-tag")

    assert NamesOnly({"sources": [source], "when": date(2015, 1, 1)}).data == {
        "sources": ["Photo-Tag"],
        "when": "2015-01-01",
    }


# The 3.x contract of the steps: each converts its kind of value and returns others unchanged.

STEPS = ["serialize_model", "serialize_json_string", "serialize_list", "serialize_dict", "serialize_scalar"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("other", [7, None, b"bytes"])
def test_each_step_returns_a_value_of_another_kind_unchanged(step, other):
    value = {"a": 1} if step in ("serialize_model", "serialize_json_string", "serialize_list") else other
    if step == "serialize_dict":
        value = [other]
    if step == "serialize_scalar":
        value = {"a": [other]}
    serializer = DefaultContextSerializer({})

    assert getattr(serializer, step)(value) is value


def test_serialize_value_passes_a_value_through_every_step_in_order():
    calls = []

    class Recording(DefaultContextSerializer):
        def serialize_json_string(self, value):
            calls.append(("json", value))
            return super().serialize_json_string(value)

        def serialize_list(self, value):
            calls.append(("list", value))
            return super().serialize_list(value)

    assert Recording({}).serialize_value('["x"]') == ["x"]
    assert calls == [("json", '["x"]'), ("list", ["x"]), ("json", "x"), ("list", "x")]


@pytest.mark.django_db
def test_many_to_many_fields_hold_the_related_primary_keys():
    admins = Group.objects.create(name="admins")
    staff = Group.objects.create(name="staff")
    user = User.objects.create(username="jeff")
    user.groups.add(admins, staff)

    data = serialize({"user": User.objects.get(pk=user.pk)})

    assert sorted(data["user"]["groups"]) == [admins.pk, staff.pk]
    assert data["user"]["user_permissions"] == []


def test_an_unsaved_row_has_no_related_primary_keys():
    assert serialize({"user": User(username="new")})["user"]["groups"] == []


@pytest.mark.django_db
def test_a_prefetched_many_to_many_field_holds_the_rows_without_a_query():
    user = User.objects.create(username="jeff")
    user.groups.add(Group.objects.create(name="admins"))
    fetched = User.objects.prefetch_related("groups__permissions", "user_permissions").get(pk=user.pk)

    with CaptureQueriesContext(connection) as captured:
        data = serialize({"user": fetched})

    assert helpers.statements(captured) == []
    assert [group["name"] for group in data["user"]["groups"]] == ["admins"]


# Secrets.


@pytest.mark.django_db
def test_password_fields_are_left_out_by_default():
    user = User.objects.create_user(username="jeff", password="s3cret")

    data = serialize({"user": user})

    assert data["user"]["username"] == "jeff"
    assert "password" not in data["user"]
    assert "s3cret" not in json.dumps(data) and user.password not in json.dumps(data)


@pytest.mark.django_db
def test_the_exclude_setting_leaves_out_fields_by_name_or_by_model(settings):
    settings.ENTITY_EVENT_SERIALIZER_EXCLUDE = ["email", "entity_event.Source.description"]
    user = User.objects.create(username="jeff", email="jeff@example.com")
    source = helpers.source("photo-tag")

    data = serialize({"user": user, "source": source, "group": source.group})

    assert "email" not in data["user"]
    assert "description" not in data["source"]
    assert data["group"]["description"] == "Events of site"


@pytest.mark.django_db
def test_a_hint_listing_fields_serializes_exactly_those_of_its_key(settings):
    settings.ENTITY_EVENT_SERIALIZER_EXCLUDE = ["email"]
    user = User.objects.create_user(username="jeff", password="s3cret", email="jeff@example.com")
    hints = {"user": {"app_name": "auth", "model_name": "User", "fields": ["username", "email", "password"]}}
    context = {"user": user, "friends": {"user": [user]}, "owner": user}

    data = DefaultContextSerializer(context, context_hints=hints).data

    assert data["user"] == {"username": "jeff", "email": "jeff@example.com", "password": user.password}
    assert data["friends"]["user"] == [data["user"]]
    assert "password" not in data["owner"] and "email" not in data["owner"]


@pytest.mark.django_db
def test_related_rows_of_a_hinted_instance_get_the_default_fields():
    user = User.objects.create_user(username="jeff", password="s3cret")
    source = helpers.source("photo-tag")
    event = helpers.event(source, context={"by": user.pk})
    fetched = Event.objects.select_related("source").get(pk=event.pk)
    hints = {"event": {"app_name": "entity_event", "model_name": "Event", "fields": ["source"]}}

    data = DefaultContextSerializer({"event": fetched}, context_hints=hints).data

    assert data == {"event": {"source": serialize(Source.objects.get(pk=source.pk))}}


@pytest.mark.django_db
def test_relations_in_memory_that_a_hint_does_not_list_are_left_out():
    source = helpers.source("photo-tag")
    helpers.event(source)
    fetched = Source.objects.select_related("group").prefetch_related("event_set").get(pk=source.pk)
    hints = {"source": {"app_name": "entity_event", "model_name": "Source", "fields": ["name"]}}

    with CaptureQueriesContext(connection) as captured:
        data = DefaultContextSerializer({"source": fetched}, context_hints=hints).data

    assert data == {"source": {"name": "photo-tag"}}
    assert helpers.statements(captured) == []
