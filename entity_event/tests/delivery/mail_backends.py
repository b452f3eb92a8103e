"""Mail backends of the delivery tests."""

import os
import smtplib

from django.core.mail.backends import filebased, locmem


class RefusingBackend(locmem.EmailBackend):
    """Django's test backend, except that the addresses in ``refused`` fail as an SMTP server would.

    Every message handed over is first recorded in ``attempted``, refused or not.
    """

    refused: set[str] = set()
    attempted: list = []

    def send_messages(self, messages):
        for message in messages:
            type(self).attempted.append(message)
            refused = set(message.to) & self.refused
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"no such user") for address in refused})
        return super().send_messages(messages)


class SilentBackend(locmem.EmailBackend):
    """A backend that reports nothing sent, as Django's backends do with ``fail_silently``."""

    def send_messages(self, messages):
        return 0


class RefusingFileBackend(filebased.EmailBackend):
    """Django's file-based backend, for worker processes: the addresses listed in the environment
    variable ``REFUSED_ADDRESSES`` (comma-separated) fail as an SMTP server would."""

    def send_messages(self, messages):
        refused_here = set(filter(None, os.environ.get("REFUSED_ADDRESSES", "").split(",")))
        for message in messages:
            refused = set(message.to) & refused_here
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"no such user") for address in refused})
        return super().send_messages(messages)
