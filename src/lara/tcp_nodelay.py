"""Serve HTTP with Nagle's algorithm off on every connection, whatever socket uvicorn accepted on.

With ``LARA_WEB_WORKERS`` > 1 uvicorn binds the listening socket itself as
``socket.socket(family=…)``, whose protocol number is 0; asyncio turns
TCP_NODELAY on only for sockets whose protocol is TCP (6), so the accepted
connections keep Nagle's algorithm on. Django's ASGI handler writes the
response head and body separately: the body then waits for the client's
delayed ACK, about 40 ms on Linux, on every request (measured: a signed
single-message webhook took 52 ms at p50 with two web workers, 10 ms with
one). ``lara run`` passes this protocol class to uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: nothing to turn off
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
