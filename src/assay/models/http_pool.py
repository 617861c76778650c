"""Several small HTTP clients instead of one big one.

httpx's connection pool looks at every one of its connections on each request, so one client with
32 connections spends about 5 ms of CPU per request where four clients of 8 spend about 1.4
(measured against our stub server: bench/RESULTS.md, "Engine overhead"). A request goes to the
client with the fewest requests in flight, so no client queues while another has room.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

CONNECTIONS_PER_CLIENT = 8


class ClientPool:
    """`ceil(connections / CONNECTIONS_PER_CLIENT)` clients sharing the connection budget."""

    def __init__(self, connections: int, *, headers: dict[str, str], timeout: float) -> None:
        shards = max(1, -(-connections // CONNECTIONS_PER_CLIENT))
        per_client = max(1, -(-connections // shards))
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        self.clients = [
            httpx.AsyncClient(headers=headers, limits=limits, timeout=httpx.Timeout(timeout))
            for _ in range(shards)
        ]
        self._in_flight = [0] * shards

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """The least busy client, counted as busy until the block ends."""
        index = min(range(len(self.clients)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            yield self.clients[index]
        finally:
            self._in_flight[index] -= 1

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
