"""Batches, and the statements of inserts that skip conflicts."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from entity.models import Entity, EntityKind

from entity_event.bulk import (
    batches,
    insert_skipping_conflicts,
    keyset_batches,
    parameter_batches,
    values_sql,
)
from entity_event.tests import helpers


def a_connection(max_query_params: int | None) -> SimpleNamespace:
    return SimpleNamespace(features=SimpleNamespace(max_query_params=max_query_params))


def test_batches_cut_an_iterator_into_lists_the_last_one_shorter():
    assert list(batches(iter(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []


def test_parameter_batches_fit_sqlites_limit_with_the_reserved_parameters():
    rows = list(range(10))
    assert list(parameter_batches(rows, a_connection(9), per_item=2, reserved=3)) == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
        [9],
    ]


def test_parameter_batches_take_everything_at_once_without_a_limit():
    assert list(parameter_batches(iter(range(5)), a_connection(None), per_item=4)) == [[0, 1, 2, 3, 4]]
    assert list(parameter_batches([], a_connection(None))) == []


def test_an_insert_names_its_table_columns_and_conflict_target_quoted():
    q = connection.ops.quote_name
    sql = insert_skipping_conflicts(connection, "things", ["a", "b"], ["a"], values_sql(2, 2), ["id"])
    assert sql == (
        f"INSERT INTO {q('things')} ({q('a')}, {q('b')}) VALUES (%s, %s), (%s, %s) "
        f"ON CONFLICT ({q('a')}) DO NOTHING RETURNING {q('id')}"
    )
    assert insert_skipping_conflicts(connection, "things", ["a"], ["a"], "SELECT 1").endswith("DO NOTHING")


@pytest.mark.django_db
def test_keyset_batches_read_distinct_values_in_order_one_query_per_batch():
    kinds = sorted(helpers.kind(name).id for name in "abcde")
    for name in "abc":
        helpers.entity(name, kind_name="a")

    with CaptureQueriesContext(connection) as captured:
        assert list(keyset_batches(EntityKind.objects.all(), "id", 2)) == [kinds[:2], kinds[2:4], kinds[4:]]
    assert len(captured) == 3
    # A last batch that is full costs one more query, which finds nothing.
    assert list(keyset_batches(EntityKind.objects.all(), "id", 5)) == [kinds]
    assert list(keyset_batches(Entity.all_objects.all(), "entity_kind_id", 1)) == [[kinds[0]]]
    assert list(keyset_batches(EntityKind.objects.none(), "id", 3)) == []
