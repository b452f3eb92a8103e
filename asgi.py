"""ASGI entry point of the development project: ``make demo`` serves it under uvicorn.

Django answers HTTP, with the static files (of the admin) served as ``runserver`` serves them
when ``DEBUG`` is on; this wrapper answers uvicorn's lifespan messages, which Django does not
take, and at shutdown stops the live streams' listening thread. Run uvicorn with
``--timeout-graceful-shutdown`` so that it ends the open streams (each a response that never
finishes by itself) before that (see docs/live.rst).
"""

import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django_application = get_asgi_application()
if settings.DEBUG:
    django_application = ASGIStaticFilesHandler(django_application)


async def application(scope, receive, send):
    if scope["type"] != "lifespan":
        return await django_application(scope, receive, send)
    from asgiref.sync import sync_to_async

    from entity_event.live.views import hub

    while True:
        received = await receive()
        if received["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif received["type"] == "lifespan.shutdown":
            await sync_to_async(hub.close, thread_sensitive=False)()
            await send({"type": "lifespan.shutdown.complete"})
            return
