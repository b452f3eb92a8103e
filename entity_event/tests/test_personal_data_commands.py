"""``manage.py export_entity`` and ``manage.py forget_entity``, naming an entity two ways."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from entity_event.models import Delivery, EventActor, Unsubscription
from entity_event.personal_data import export_entity
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    """Alice, who tagged a photo, opted out of its source by email and has a delivery."""
    alice = helpers.entity("alice", is_active=False)
    photo, email = helpers.source("photo-tag"), helpers.medium("email")
    tag = helpers.event(photo, [alice], context={"tagger": "Alice"})
    helpers.unsubscribe(email, photo, alice)
    Delivery.objects.create(event=tag, medium=email, entity=alice)
    return alice


def run(command: str, *arguments: str) -> str:
    out = StringIO()
    call_command(command, *arguments, stdout=out)
    return out.getvalue()


def test_export_prints_the_export_as_json_for_the_entity_id(alice):
    assert json.loads(run("export_entity", str(alice.id))) == export_entity(alice)


def test_export_finds_the_entity_by_model_and_id_and_indents_if_asked(alice):
    printed = run("export_entity", f"entity.EntityKind:{alice.entity_id}", "--indent", "2")

    assert printed.startswith('{\n  "entity": {\n    "id": ')
    assert json.loads(printed) == export_entity(alice)


def test_forget_with_yes_prints_what_went(alice):
    printed = run("forget_entity", str(alice.id), "--yes")

    assert printed.splitlines() == [
        f"Forgot alice ({alice.id}):",
        "  inbox watermarks: 0",
        "  inbox marks: 0",
        "  deliveries: 1",
        "  unsubscriptions: 1",
        "  subscriptions: 0",
        "  event actors: 1",
    ]
    assert not EventActor.objects.filter(entity=alice).exists()


def test_forget_asks_first_and_a_yes_forgets(alice, monkeypatch):
    questions = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or " Y ")

    assert "deliveries: 1" in run("forget_entity", f"entity.entitykind:{alice.entity_id}")
    assert questions == [
        f"Forget everything entity_event holds about alice (entity.entitykind:{alice.entity_id})? [y/N] "
    ]
    assert not Unsubscription.objects.exists()


@pytest.mark.parametrize("answer", ["", "n", "no", "yes please"])
def test_forget_keeps_everything_unless_the_answer_is_yes(alice, monkeypatch, answer):
    monkeypatch.setattr("builtins.input", lambda question: answer)

    with helpers.row_counts_unchanged():
        assert run("forget_entity", str(alice.id)) == "Nothing was forgotten.\n"


def test_forget_without_a_terminal_to_answer_needs_yes(alice, monkeypatch):
    def no_answer(question):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_answer)

    with helpers.row_counts_unchanged(), pytest.raises(CommandError, match="pass --yes"):
        run("forget_entity", str(alice.id))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("alice", "'alice' is not an entity: expected the Entity's id (7)"),
        ("", "'' is not an entity"),
        ("٣", "'٣' is not an entity"),
        ("auth.user:", "'auth.user:' is not an entity"),
        ("user:1", "'user:1' is not an entity"),
        (".user:1", "'.user:1' is not an entity"),
        ("auth.:1", "'auth.:1' is not an entity"),
        ("1\x00", r"'1\x00' names no entity: it holds '\x00'."),
        ("99999999999999999999", "'99999999999999999999' names no entity: ids are 64-bit integers."),
        ("no.model:1", "'no.model:1' names no entity: no model is named 'no.model'."),
        ("424242", "No entity is '424242'."),
        ("auth.user:424242", "No entity is 'auth.user:424242'."),
    ],
)
@pytest.mark.parametrize("command", ["export_entity", "forget_entity"])
def test_a_value_that_names_no_entity_is_refused_naming_it(alice, command, value, message):
    with helpers.row_counts_unchanged(), pytest.raises(CommandError, match=re.escape(message)):
        run(command, value, "--yes") if command == "forget_entity" else run(command, value)


@pytest.mark.parametrize("indent", ["-1", "٣", "two"])
def test_an_indent_must_be_a_whole_number(alice, indent):
    with pytest.raises(
        CommandError, match=re.escape(f"--indent: expected a whole number of at least 0, not {indent!r}")
    ):
        run("export_entity", str(alice.id), f"--indent={indent}")
