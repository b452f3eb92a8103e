"""The demo turns django-entity's syncing off where it cannot run."""

from django.apps import apps

from demo import apps as demo_apps


def test_on_a_database_other_than_postgresql_syncing_is_turned_off(monkeypatch):
    turned_off = []
    monkeypatch.setattr(demo_apps.connection, "vendor", "sqlite")
    monkeypatch.setattr("entity.signal_handlers.turn_off_syncing", lambda: turned_off.append(True))
    apps.get_app_config("demo").ready()
    assert turned_off == [True]
