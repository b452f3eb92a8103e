"""Reading the messages that Django's file-based mail backend wrote, as a mail client would show them.

The backend appends each message to a file of its connection, followed by a line of 79 dashes.
"""

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


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
