"""Error texts that a web answer may show: English for Python callers, translated for people."""

import ast
import pickle
from pathlib import Path

import pytest
from django.utils import translation

from entity_event.exceptions import Message, translated
from entity_event.groups import group_event_ids
from entity_event.numbers import parse_number

PACKAGE = Path(__file__).parent.parent


def raised(call, *args) -> ValueError:
    with pytest.raises(ValueError) as caught:
        call(*args)
    return caught.value


def test_an_error_reads_in_english_whatever_the_language_and_translated_on_demand():
    with translation.override("fr"):
        error = raised(parse_number, "x")

        assert str(error) == "'x' is not a whole number from 0 to 9223372036854775807."
        assert translated(error) == "'x' n’est pas un nombre entier de 0 à 9223372036854775807."
    with translation.override("de"):
        assert translated(error) == "'x' ist keine ganze Zahl von 0 bis 9223372036854775807."
    assert repr(error) == "ValueError(\"'x' is not a whole number from 0 to 9223372036854775807.\")"


def test_a_message_may_name_a_value_text():
    assert str(Message("%(text)r is bad.", text="x")) == "'x' is bad."


def test_an_error_without_a_message_is_shown_as_it_reads():
    with translation.override("fr"):
        assert translated(ValueError("plain")) == "plain"
        assert translated(ValueError("two", "arguments")) == "('two', 'arguments')"


def test_an_error_keeps_its_message_through_pickling():
    error = pickle.loads(pickle.dumps(raised(group_event_ids, None, ["1"])))

    with translation.override("de"):
        assert (str(error), translated(error)) == ("'1' is not a group id.", "'1' ist keine Gruppen-ID.")


def messages_of_the_package() -> list[str]:
    """The text of every ``Message(gettext_noop("..."), ...)`` in the package's code (tests and
    migrations left out)."""
    texts = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(PACKAGE).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message":
                [marked, *_values] = node.args
                assert getattr(marked.func, "id", None) == "gettext_noop", (
                    f"{path}: unmarked {ast.unparse(node)}"
                )
                texts.append(marked.args[0].value)
    return texts


def test_the_package_has_messages():
    assert len(messages_of_the_package()) >= 4


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("text", messages_of_the_package())
def test_every_message_of_the_package_is_translated(text, language):
    with translation.override(language):
        assert translation.gettext(text) != text
