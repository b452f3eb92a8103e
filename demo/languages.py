"""The demo's pages in the signed-in employee's own language and time zone.

``LocaleMiddleware`` follows the browser; an employee of :data:`demo.entities.READERS` reads the
pages in the language and time zone their entity carries, as their emails are written.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from demo.entities import READERS
from entity_event.languages import Locale, activated, known_timezone, supported_language


class ReaderLocaleMiddleware:
    """Activates the signed-in employee's language and time zone, when they have chosen them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preference = READERS.get(request.user.username) if request.user.is_authenticated else None
        if preference is None:
            return self.get_response(request)
        locale = Locale(supported_language(preference["language"]), known_timezone(preference["timezone"]))
        request.LANGUAGE_CODE = locale.language
        with activated(locale):
            return self.get_response(request)
