"""Serializing loaded contexts into data that ``json.dumps`` accepts."""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
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
        def serialize_model(self, instance):
            return str(instance)

    source = helpers.source("photo-tag")

    assert NamesOnly({"sources": [source], "when": date(2015, 1, 1)}).data == {
        "sources": ["Photo-Tag"],
        "when": "2015-01-01",
    }
