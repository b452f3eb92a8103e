"""Users and groups mirrored as entities by django-entity's real syncing."""

import pytest
from django.contrib.auth.models import Group, User
from entity.models import Entity

from demo.entities import COMPANY_GROUP
from demo.seeding import entity_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.entity_sync]


def super_names(user: User) -> list[str]:
    return sorted(str(entity) for entity in entity_for(user).get_super_entities())


def test_a_user_becomes_an_entity_under_its_groups_and_the_company():
    Group.objects.create(name=COMPANY_GROUP)
    team = Group.objects.create(name="Engineering")
    user = User.objects.create(
        username="alice", first_name="Alice", last_name="Martin", email="a@example.com"
    )
    user.groups.add(team)
    entity = entity_for(user)
    assert (entity.display_name, entity.entity_kind.name) == ("Alice Martin", "auth.user")
    assert entity.entity_meta == {"username": "alice", "email": "a@example.com"}
    assert entity_for(team).entity_kind.name == "auth.group"
    assert super_names(user) == ["Engineering", COMPANY_GROUP]


def test_joining_a_team_from_the_group_side_is_synced_too():
    user = User.objects.create(username="bob")
    team = Group.objects.create(name="Sales")
    team.user_set.add(user)
    assert super_names(user) == ["Sales"]
    team.user_set.remove(user)
    assert super_names(user) == []


def test_creating_the_company_group_later_reaches_every_existing_user():
    users = [User.objects.create(username=name) for name in ("carol", "dave")]
    Group.objects.create(name=COMPANY_GROUP)
    assert [super_names(user) for user in users] == [[COMPANY_GROUP], [COMPANY_GROUP]]


def test_a_deactivated_user_is_an_inactive_entity():
    user = User.objects.create(username="erin")
    user.is_active = False
    user.save()
    assert not Entity.all_objects.get_for_obj(user).is_active
    assert not Entity.objects.filter(pk=entity_for(user).pk).exists()


def test_clearing_a_team_from_the_group_side_is_synced():
    users = [User.objects.create(username=name) for name in ("frank", "grace")]
    team = Group.objects.create(name="Design")
    team.user_set.add(*users)
    team.user_set.clear()
    assert [super_names(user) for user in users] == [[], []]


def test_clearing_a_team_without_members_changes_no_entity():
    user = User.objects.create(username="heidi")
    team = Group.objects.create(name="Empty")
    team.user_set.clear()
    assert super_names(user) == []
    assert entity_for(team).get_sub_entities() == []


def test_an_employee_who_chose_a_language_carries_it_in_the_entity_meta():
    frank = User.objects.create(username="frank", email="frank@example.com")
    assert entity_for(frank).entity_meta == {
        "username": "frank",
        "email": "frank@example.com",
        "language": "fr",
        "timezone": "Europe/Paris",
    }
