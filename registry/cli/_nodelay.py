"""The listening socket `credreg serve --workers N` hands its workers, made so that Nagle is off.

Why: asyncio turns Nagle's algorithm off (TCP_NODELAY) on every connection it accepts, but only if
the socket says it is TCP: ``sock.proto == IPPROTO_TCP`` (asyncio.base_events._set_nodelay). A
socket made with ``getaddrinfo`` says so, which is how one uvicorn worker binds its own port. For
several workers uvicorn binds the port in the parent with ``socket.socket(family)``, whose proto is
0, and every connection accepted from it inherits the 0: Nagle stays on. An HTTP answer is two
writes (head, then body); the second waits for the client's ACK of the first, which the client
delays by 40 ms. That was 44 ms per request on a kept-alive connection with two workers against
4.6 ms with one (credreg issue 13; bench/README.md, "Nagle with more than one worker").

What: uvicorn still binds the port (its address handling, messages and exit code stay); the same
descriptor is then wrapped in a socket object that says IPPROTO_TCP, so the workers' asyncio sets
TCP_NODELAY on each connection as it does for one worker. Nothing else about the socket changes.

Pinned by tests/integration/test_serve_nodelay.py: with one worker and with two, the server's own
socket of a kept-alive connection has TCP_NODELAY set (read from the worker through pidfd_getfd),
and, without a chain, that asyncio leaves Nagle on for uvicorn's bare socket and off for this one.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uvicorn import Config


def listening_socket(config: Config) -> socket.socket:
    """uvicorn's bound socket for ``config``, marked as TCP so that accepted connections get TCP_NODELAY."""
    sock = config.bind_socket()
    if not isinstance(sock, socket.socket) or sock.family not in (socket.AF_INET, socket.AF_INET6):
        # A Unix socket (no Nagle to turn off), or a stand-in (tests/unit/test_cli.py stubs
        # bind_socket to bind nothing): handed on as it is.
        return sock
    # Same descriptor (still inheritable, still bound); only the proto the object reports differs.
    return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
