"""Fixtures of the demo's tests: the demo company without its random events."""

from io import StringIO

import pytest
from django.contrib.auth.signals import user_logged_in
from django.core.management.base import OutputWrapper

from demo import seeding, signins


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hash the demo passwords cheaply: the default hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def quiet_sign_ins():
    """Signing in stores a "Sign-ins" event; the tests about other events sign in without it."""
    user_logged_in.disconnect(dispatch_uid="demo_sign_in_events")
    yield
    signins.connect_sign_in_events()


@pytest.fixture
def sign_in_events():
    """Put the real sign-in events back, for the tests about them."""
    signins.connect_sign_in_events()


@pytest.fixture
def company(db):
    """The demo's people, sources, mediums, renderers and subscriptions (needs entity syncing)."""
    users = seeding.people(OutputWrapper(StringIO()))
    mediums, sources = seeding.catalogue()
    seeding.subscribe_company(mediums, sources)
    return {"users": users, "mediums": mediums, "sources": sources}


@pytest.fixture
def company_without_routing(db):
    """Only the demo's sources, mediums and renderers: what runs without entity syncing."""
    mediums, sources = seeding.catalogue()
    return {"mediums": mediums, "sources": sources}
