"""The outbox page: the messages Django's file-based mail backend wrote, as a mail client shows them.

The backend appends each message to a file of its connection, followed by a line of 79 dashes.
An HTML message is shown in a sandboxed frame, where forms do nothing, so its links open in a
new tab, outside the sandbox, as a mail client opens them in the browser.
"""

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from demo.emails import send_event_emails

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
#: Appended to an HTML message shown in the outbox: its links open in a new tab.
NEW_TAB_LINKS = '<base target="_blank">'


def read_messages(directory: str | Path) -> list[EmailMessage]:
    """Every message written to ``directory``, oldest file first; a missing directory holds none."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    messages = []
    for path in sorted(directory.iterdir(), key=lambda path: (path.stat().st_mtime, path.name)):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default))
    return messages


def shown(message: EmailMessage) -> dict:
    """What a mail client shows of ``message``: its headers, and its HTML part or else its text."""
    body = message.get_body(preferencelist=("html", "plain"))
    return {
        "subject": message["Subject"],
        "from": message["From"],
        "to": message["To"],
        "date": message["Date"],
        "message_id": message["Message-ID"],
        "html": body.get_content() + NEW_TAB_LINKS if body.get_content_subtype() == "html" else "",
        "text": body.get_content() if body.get_content_subtype() != "html" else "",
    }


#: Messages on the outbox page, newest first.
OUTBOX_LENGTH = 50


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """The mail the task workers sent, newest first, as the recipients see it."""
    messages_sent = read_messages(settings.EMAIL_FILE_PATH)
    newest = [shown(message) for message in reversed(messages_sent[-OUTBOX_LENGTH:])]
    context = {"messages_sent": newest, "total": len(messages_sent), "summary": summary(len(messages_sent))}
    return render(request, "demo/outbox.html", context)


def summary(total: int) -> str:
    """What the outbox shows of the ``total`` messages sent, in words."""
    if total == 0:
        return "No email was sent yet."
    if total > OUTBOX_LENGTH:
        return f"The newest {OUTBOX_LENGTH} of the {total} emails the task worker sent."
    return ngettext(
        "The email the task worker sent.", "The %(total)d emails the task worker sent, newest first.", total
    ) % {"total": total}


@require_POST
@login_required
def deliver_now(request: HttpRequest) -> HttpResponse:
    """Plan the email medium's new events now, as ``manage.py deliver_events`` does from cron."""
    planned = send_event_emails()
    if planned:
        text = ngettext(
            "Planned %(planned)d email; the worker sends it in a moment.",
            "Planned %(planned)d emails; the worker sends them in a moment.",
            planned,
        )
        messages.success(request, text % {"planned": planned})
    else:
        messages.info(request, "There were no new events to email.")
    return redirect("demo:outbox")
