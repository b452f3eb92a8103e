"""One HTTP(S) POST bounded as a whole, its answer taken as it is: the webhook channel's request.

urllib's ``timeout`` bounds each socket operation, not the request, so a receiver trickling a
byte at a time holds a worker past its lease; and urllib follows redirects, re-sending to a
place no setting names. Here a deadline covers connecting, sending and reading the answer (a
timer shuts the socket down when it passes), and any answer outside 2xx, a redirect included,
is an error.
"""

import contextlib
import http.client
import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit


class PostFailed(Exception):
    """The POST got an answer outside 2xx (a redirect included), or did not end before its deadline."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` and read the answer, all within ``timeout`` seconds; returns the
    status. Raises :class:`PostFailed` for an answer outside 2xx or a deadline passed, and
    ``OSError`` for a connection that fails."""
    started = time.monotonic()
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    expired = threading.Event()
    try:
        connection.connect()
        timer = threading.Timer(timeout - (time.monotonic() - started), _cut, (connection.sock, expired))
        timer.start()
        try:
            target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except Exception as error:
            if expired.is_set():
                raise PostFailed(f"{url} did not answer within {timeout} seconds") from error
            raise
        finally:
            timer.cancel()
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        location = response.getheader("Location")
        redirect = f" (a redirect to {location}, not followed)" if location else ""
        raise PostFailed(f"{url} answered {response.status} {response.reason}{redirect}")
    return response.status


def _cut(sock: socket.socket, expired: threading.Event) -> None:
    """Shut ``sock`` down, which ends the read or write blocked on it."""
    expired.set()
    with contextlib.suppress(OSError):  # closed in the meantime
        sock.shutdown(socket.SHUT_RDWR)
