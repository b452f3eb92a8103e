"""The entity a management command names: by the Entity's own id, or by a model and its id.

Support staff know a person as a user (``auth.user:42``), the package knows an Entity (``7``):
both are accepted, and a value that names no entity is refused naming it.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError
from entity.models import Entity

from entity_event.event_input import unstorable_character
from entity_event.numbers import parse_number

#: How a command's help describes the argument.
HELP = "the Entity's id (7), or a model and the id of its row (auth.user:42)"


def find_entity(text: str) -> Entity:
    """The entity ``text`` names, active or not; ``CommandError`` naming ``text`` otherwise."""
    found = unstorable_character(text)
    if found:
        raise CommandError(f"{text!r} names no entity: it holds {found!r}.")
    label, _, number = text.rpartition(":")
    app_label, dot, model = label.partition(".")
    if not (number.isascii() and number.isdigit()) or (label and not (dot and app_label and model)):
        raise CommandError(f"{text!r} is not an entity: expected {HELP}.")
    try:
        entity_id = parse_number(number)
    except ValueError:
        raise CommandError(f"{text!r} names no entity: ids are 64-bit integers.") from None
    if label:
        content_type = ContentType.objects.filter(app_label=app_label, model=model.lower()).first()
        if content_type is None:
            raise CommandError(f"{text!r} names no entity: no model is named {label!r}.")
        entity = Entity.all_objects.filter(entity_type=content_type, entity_id=entity_id).first()
    else:
        entity = Entity.all_objects.filter(pk=entity_id).first()
    if entity is None:
        raise CommandError(f"No entity is {text!r}.")
    return entity
