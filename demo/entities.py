"""Users and groups of ``django.contrib.auth`` as django-entity entities.

A user is a sub entity of each group it belongs to and of the company-wide group, ``Everyone``,
whether or not it was added to that group. So a subscription of "the users of Everyone" reaches
every employee, including the ones hired after it was made.
"""

from django.contrib.auth.models import Group, User
from entity.config import EntityConfig, register_entity

#: The group every user is a sub entity of.
COMPANY_GROUP = "Everyone"


def users_of(group: Group):
    """The users whose entity depends on ``group``: all of them for the company group."""
    if group.name == COMPANY_GROUP:
        return User.objects.all()
    return group.user_set.all()


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
    # Adding a user to a group from the group's side, or creating the company group, changes
    # the users' super entities: sync them when a group changes.
    watching = [(Group, users_of)]

    def get_display_name(self, user: User) -> str:
        return user.get_full_name() or user.username

    def get_entity_kind(self, user: User) -> tuple[str, str]:
        return ("auth.user", "User")

    def get_entity_meta(self, user: User) -> dict:
        return {"username": user.username, "email": user.email}

    def get_is_active(self, user: User) -> bool:
        return user.is_active

    def get_super_entities(self, users, sync_all: bool) -> dict:
        company = Group.objects.filter(name=COMPANY_GROUP).first()
        pairs = [(user.id, group.id) for user in users for group in user.groups.all()]
        if company is not None:
            pairs += [(user.id, company.id) for user in users]
        return {Group: sorted(set(pairs))}
