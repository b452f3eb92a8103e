"""The channels under their first name: settings and code that say ``entity_event.channels``
keep working. They live in :mod:`entity_event.delivery.channels`, beside the rest of delivery."""

from entity_event.delivery.channels import (
    SUBJECT_LENGTH,
    Channel,
    DeliveryRefused,
    EmailChannel,
    WebhookChannel,
    channel_for,
    entity_meta_email,
    webhook_timeout,
)

__all__ = [
    "SUBJECT_LENGTH",
    "Channel",
    "DeliveryRefused",
    "EmailChannel",
    "WebhookChannel",
    "channel_for",
    "entity_meta_email",
    "webhook_timeout",
]
