"""The preferences page and the unsubscribe page of ``entity_event.urls``.

The preferences page lists the (medium, source) pairs the request's entity receives and switches
them off or on. The unsubscribe page is opened from an email, signed in or not: its token says
whom it unsubscribes from what.
"""

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from entity_event import app_settings
from entity_event.exceptions import translated
from entity_event.models import Medium, Source, Unsubscription
from entity_event.numbers import parse_number
from entity_event.preferences import NotSubscribedError, by_source_group, preferences, set_receiving
from entity_event.preferences import unsubscribe as unsubscribe_pair
from entity_event.unsubscribe import ONE_CLICK, BadUnsubscribeToken, read_unsubscribe_token
from entity_event.web.entity import request_entity


class IdField(forms.Field):
    """An id of the form, read by :func:`~entity_event.numbers.parse_number`."""

    def to_python(self, value: str) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return parse_number(value)
        except ValueError as error:
            raise forms.ValidationError(translated(error), code="invalid") from None


class SwitchForm(forms.Form):
    """One switch of the preferences page: a pair and whether to receive it."""

    medium = IdField()
    source = IdField()
    receiving = forms.TypedChoiceField(
        choices=[("on", gettext_lazy("on")), ("off", gettext_lazy("off"))], coerce=lambda value: value == "on"
    )


@require_http_methods(["GET", "POST"])
def preferences_page(request: HttpRequest) -> HttpResponse:
    """GET: the pairs of the request's entity by source group. POST: switch one of them."""
    entity = request_entity(request)
    if entity is None:
        return HttpResponseForbidden(_("Sign in to see your notification settings."))
    if request.method == "POST":
        form = SwitchForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
        try:
            set_receiving(
                entity,
                form.cleaned_data["medium"],
                form.cleaned_data["source"],
                form.cleaned_data["receiving"],
            )
        except NotSubscribedError as error:
            return HttpResponseBadRequest(translated(error), content_type="text/plain")
        return redirect("entity_event:preferences")
    context = {
        "base_template": app_settings.base_template(),
        "entity": entity,
        "source_groups": by_source_group(preferences(entity)),
    }
    return render(request, "entity_event/preferences.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link unsubscribes from, and a button. POST with ``List-Unsubscribe=One-Click``: do it.

    A link of several sources (a digest's) stops all of them, in one transaction. A link whose
    sources are all stopped already (a used one) says so instead of asking again.

    Exempt from CSRF checks, as RFC 8058 asks of one-click POSTs, which come without cookies: the
    signed token is what authorizes the change, and a forger who has it needs no victim's browser.
    Answers 200 rather than a redirect, which mail programs may not follow.
    """
    context = {"base_template": app_settings.base_template()}
    try:
        entity, medium, sources = read_unsubscribe_token(token)
    except BadUnsubscribeToken:
        return HttpResponseBadRequest(
            render_to_string("entity_event/unsubscribe_invalid.html", context, request)
        )
    context.update(entity=entity, medium=medium, sources=sources, token=token)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != "One-Click":
            return HttpResponseBadRequest(
                _("The body of the POST must be %(body)s.") % {"body": ONE_CLICK}, content_type="text/plain"
            )
        with transaction.atomic():
            stopped = [unsubscribe_pair(entity, medium.pk, source.pk) for source in sources]
        return render(request, "entity_event/unsubscribed.html", {**context, "already": not any(stopped)})
    if unsubscribed_from_all(entity, medium, sources):
        return render(request, "entity_event/unsubscribed.html", {**context, "already": True})
    return render(request, "entity_event/unsubscribe.html", context)


def unsubscribed_from_all(entity, medium: Medium, sources: list[Source]) -> bool:
    """Whether ``entity`` is unsubscribed from every one of ``sources`` on ``medium`` (a used link)."""
    stopped = Unsubscription.objects.filter(entity=entity, medium=medium, source__in=sources)
    return set(stopped.values_list("source_id", flat=True)) == {source.pk for source in sources}
