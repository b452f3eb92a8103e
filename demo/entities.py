"""Users and groups of ``django.contrib.auth`` as django-entity entities.

A user is a sub entity of each group it belongs to and of the company-wide group, ``Everyone``,
whether or not it was added to that group. So a subscription of "the users of Everyone" reaches
every employee, including the ones hired after it was made.
"""

from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed
from entity.config import EntityConfig, register_entity
from entity.sync import sync_entities

#: The group every user is a sub entity of.
COMPANY_GROUP = "Everyone"

#: username -> the language and time zone of an employee who reads in other than the project's:
#: their entity_meta carries them, so entity_event writes them their emails in it, and the demo
#: shows them its pages in it (:mod:`demo.languages`).
READERS = {"frank": {"language": "fr", "timezone": "Europe/Paris"}}


def users_of(group: Group):
    """Users to sync when ``group`` is saved: all of them once the company group exists."""
    if group.name == COMPANY_GROUP:
        return User.objects.all()
    return User.objects.none()


def sync_members_of_changed_group(sender, instance, action, pk_set, **kwargs) -> None:
    """Sync the users added to or removed from a group through ``group.user_set``.

    django-entity syncs the instance whose side of the many-to-many changed, here the group; the
    users' super entities change too, and for removed users no watcher could find them.
    """
    if not isinstance(instance, Group):
        return
    if action == "pre_clear":
        instance._members_before_clear = set(instance.user_set.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = instance._members_before_clear
    elif action not in ("post_add", "post_remove"):
        return
    if pk_set:
        sync_entities(*User.objects.filter(pk__in=pk_set))


def connect_group_membership_syncing() -> None:
    m2m_changed.connect(
        sync_members_of_changed_group, sender=User.groups.through, dispatch_uid="demo_group_membership"
    )


@register_entity()
class GroupEntityConfig(EntityConfig):
    queryset = Group.objects.all()

    def get_display_name(self, group: Group) -> str:
        return group.name

    def get_entity_kind(self, group: Group) -> tuple[str, str]:
        return ("auth.group", "Group")


@register_entity()
class UserEntityConfig(EntityConfig):
    queryset = User.objects.prefetch_related("groups")
    # Creating the company group changes every user's super entities.
    watching = [(Group, users_of)]

    def get_display_name(self, user: User) -> str:
        return user.get_full_name() or user.username

    def get_entity_kind(self, user: User) -> tuple[str, str]:
        return ("auth.user", "User")

    def get_entity_meta(self, user: User) -> dict:
        return {"username": user.username, "email": user.email, **READERS.get(user.username, {})}

    def get_is_active(self, user: User) -> bool:
        return user.is_active

    def get_super_entities(self, users, sync_all: bool) -> dict:
        company = Group.objects.filter(name=COMPANY_GROUP).first()
        pairs = [(user.id, group.id) for user in users for group in user.groups.all()]
        if company is not None:
            pairs += [(user.id, company.id) for user in users]
        return {Group: sorted(set(pairs))}
