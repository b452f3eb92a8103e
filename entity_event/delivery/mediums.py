"""Loading mediums as the subclass their row was saved as, so that workers apply its follow rules.

A ``Medium`` subclass with a table of its own (multi-table inheritance) may override
``followed_by`` and ``followers_of``; a worker that only has a medium's id must load it as that
subclass for planning and the send-time re-check to follow the same rules. A proxy subclass
cannot be told from its row: code using one plans and sends with the default rules.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from entity_event.models import Medium


def specific(mediums: QuerySet) -> list[Medium]:
    """``mediums``, each as its subclass where a subclass's table holds it; one query."""
    links = [
        rel.get_accessor_name() for rel in Medium._meta.related_objects if rel.one_to_one and rel.parent_link
    ]
    # select_related() without names would follow every foreign key: only with subclasses.
    loaded = mediums.select_related(*links) if links else mediums
    return [_as_subclass(medium, links) for medium in loaded]


def _as_subclass(medium: Medium, links: list[str]) -> Medium:
    for link in links:
        try:
            return getattr(medium, link)
        except ObjectDoesNotExist:
            continue
    return medium
