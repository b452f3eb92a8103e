"""Batches, and the statements of inserts that skip conflicts."""

from types import SimpleNamespace

from django.db import connection

from entity_event.bulk import batches, insert_skipping_conflicts, parameter_batches, values_sql


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
