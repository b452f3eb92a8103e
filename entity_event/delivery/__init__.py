"""Reliable delivery of events on Django's Tasks framework (see ``docs/delivery.rst``).

:mod:`~entity_event.delivery.planning` claims a medium's unseen events and writes their
:class:`~entity_event.models.Delivery` rows; :mod:`~entity_event.delivery.tasks` enqueues the
background tasks that :mod:`~entity_event.delivery.sending` runs through the medium's channel
(:mod:`entity_event.delivery.channels`), after :mod:`~entity_event.delivery.cancelling` has taken out
what routing no longer makes; :mod:`~entity_event.delivery.retry` decides what a failure
becomes; :mod:`~entity_event.delivery.digests` bundles deliveries per period.
"""
