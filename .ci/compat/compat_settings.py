"""Django settings of the compatibility run (see run.py): the project's database, USE_TZ off, and
the apps under test: 3.x's own test app and the two client packages with their test settings."""

import os
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import entity_event  # noqa: E402
from settings import DATABASES  # noqa: E402  (the project's database: embedded PostgreSQL or DATABASE_URL)

# 3.x's tests live in entity_event/tests of its wheel; run.py unpacks them into OLD_SUITE_DIR,
# which is searched first for entity_event's submodules, so ``entity_event.tests`` is the old
# test app while every other module is ours.
entity_event.__path__.insert(0, str(Path(os.environ["OLD_SUITE_DIR"]) / "entity_event"))

# The slack suite still uses the aliases that Python 3.12 removed.
if not hasattr(unittest.TestCase, "assertEquals"):
    unittest.TestCase.assertEquals = unittest.TestCase.assertEqual

DATABASES["default"]["TEST"] = {"NAME": "test_entity_event_compat"}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SECRET_KEY = "compatibility-run-only"
USE_TZ = False
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "entity",
    "entity_event",
    "entity_event.tests",
    "entity_emailer",
    "entity_event_slack",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "entity_emailer.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(Path(__file__).resolve().parent / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# What the emailer's tests expect of their project.
DEFAULT_FROM_EMAIL = "test@example.com"
ENTITY_EMAILER_MAX_SEND_MESSAGE_TRIES = 5
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
