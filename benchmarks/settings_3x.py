"""Settings of the benchmark's django-entity-event 3.1.0 children (``routing.py --compare-3x``).

They run in a throwaway virtual environment where ``entity_event`` is 3.1.0, on the server
that ``DATABASE_URL`` names; 3.1.0 runs on Django 5.2 with time zone support off.
"""

import os

import dj_database_url

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
INSTALLED_APPS = ["django.contrib.contenttypes", "entity", "entity_event"]
USE_TZ = False
SECRET_KEY = "benchmark-only-not-secret"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DEBUG = False
