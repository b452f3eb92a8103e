"""The package's French and German catalogs: complete, and compiled from their current text.

``make messages`` extracts the marked strings into ``entity_event/locale/`` and compiles them;
``make messages-check`` (CI) fails when that would change them. These tests fail, naming the
entries, on an untranslated or fuzzy entry, and on a ``.mo`` file that does not say what its
``.po`` file says.
"""

import ast
import gettext
from pathlib import Path

import pytest

import entity_event

LOCALE = Path(entity_event.__file__).parent / "locale"
LANGUAGES = ["de", "fr"]


def read_po(path: Path) -> list[dict]:
    """The entries of a ``.po`` file: ``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` (a list,
    one per plural form) and ``fuzzy``; the header (empty ``msgid``) included."""
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": [], "fuzzy": False}
        if line.startswith("#,"):
            entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(entry, field, ast.literal_eval(line))
        else:
            keyword, _space, text = line.partition(" ")
            field = keyword
            if keyword.startswith("msgstr"):
                entry["msgstr"].append("")
                field = "msgstr"
            elif keyword in ("msgctxt", "msgid_plural"):
                entry[keyword] = ""
            _append(entry, field, ast.literal_eval(text))
    return entries


def _append(entry: dict, field: str, text: str) -> None:
    if field == "msgstr":
        entry["msgstr"][-1] += text
    else:
        entry[field] += text


def catalog(language: str, locale: Path = LOCALE) -> list[dict]:
    """The entries of a language's catalog in ``locale``, the header left out."""
    return [entry for entry in read_po(locale / language / "LC_MESSAGES" / "django.po") if entry["msgid"]]


def name(entry: dict) -> str:
    return f"{entry['msgctxt']}|{entry['msgid']}" if entry["msgctxt"] else entry["msgid"]


def untranslated_and_fuzzy(language: str, locale: Path = LOCALE) -> tuple[list[str], list[str]]:
    """The names of the entries of a catalog that are untranslated, and of those that are fuzzy."""
    entries = catalog(language, locale)
    untranslated = [name(entry) for entry in entries if not all(entry["msgstr"])]
    fuzzy = [name(entry) for entry in entries if entry["fuzzy"]]
    return untranslated, fuzzy


def stale_entries(language: str, locale: Path = LOCALE) -> list[str]:
    """The names of the entries whose translation the compiled catalog does not hold."""
    with open(locale / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = []
    for entry in catalog(language, locale):
        key = f"{entry['msgctxt']}\x04{entry['msgid']}" if entry["msgctxt"] else entry["msgid"]
        if entry["msgid_plural"] is None:
            found = [translations._catalog.get(key)]
        else:
            found = [translations._catalog.get((key, form)) for form in range(len(entry["msgstr"]))]
        if found != entry["msgstr"]:
            stale.append(name(entry))
    return stale


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    assert len(catalog(language)) > 100
    assert untranslated_and_fuzzy(language) == ([], [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_says_what_the_catalog_says(language):
    assert stale_entries(language) == [], f"django.mo of {language} is stale: run make messages"


def test_a_fuzzy_or_untranslated_entry_is_read_as_such(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: fr\\n"\n\n#, fuzzy\nmsgid "Unsubscribe"\nmsgstr "Désabonner"\n\n'
        'msgctxt "switch"\nmsgid "on"\nmsgid_plural "ons"\nmsgstr[0] ""\nmsgstr[1] "ok"\n',
        encoding="utf-8",
    )
    header, unsubscribe, switch = read_po(po)
    assert header["msgstr"] == ["Language: fr\n"]
    assert unsubscribe == {
        "msgctxt": None,
        "msgid": "Unsubscribe",
        "msgid_plural": None,
        "msgstr": ["Désabonner"],
        "fuzzy": True,
    }
    assert switch["msgctxt"] == "switch" and switch["msgstr"] == ["", "ok"]
    (tmp_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    po.rename(tmp_path / "fr" / "LC_MESSAGES" / "django.po")
    assert untranslated_and_fuzzy("fr", tmp_path) == (["switch|on"], ["Unsubscribe"])
