"""A PostgreSQL wire-protocol relay that counts the statements its clients execute.

Any client (asyncpg, node-postgres, psycopg) connects to it as to PostgreSQL; it relays
every byte both ways and reads the client's messages: each simple query (``Q``) and
each execution of a prepared statement (``E``, named by its portal's ``B`` and the
statement's ``P``) is recorded with its SQL text. It answers an SSL or GSS request with
"no" itself, so the session stays in plain text and readable. For benchmarks only.
"""

import asyncio
import re
import struct
from dataclasses import dataclass, field

_SSL_REQUEST, _GSS_REQUEST = 80877103, 80877104
# An empty statement (";") is a pool's liveness check (a ping, see db/engine.py).
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|START|SAVEPOINT|RELEASE|SET|RESET|SHOW|"
                      r"DISCARD|DEALLOCATE|CLOSE|UNLISTEN|SELECT pg_advisory_unlock_all|;?\s*$)",
                      re.IGNORECASE)


def is_control(statement: str) -> bool:
    """Transaction control and session housekeeping, not a statement reading data."""
    return bool(_CONTROL.match(statement))


@dataclass
class Recorder:
    """The statements executed through the relay, in order."""

    statements: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.statements.clear()

    def data_statements(self) -> list[str]:
        return [s for s in self.statements if not is_control(s)]


async def _read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    return await reader.readexactly(size)


def _cstrings(payload: bytes, count: int) -> list[str]:
    parts = payload.split(b"\0", count)
    return [part.decode("utf-8", "replace") for part in parts[:count]]


async def _client_to_server(reader: asyncio.StreamReader, client: asyncio.StreamWriter,
                            server: asyncio.StreamWriter, recorder: Recorder) -> None:
    while True:  # the start-up phase: untyped messages
        head = await _read_exactly(reader, 8)
        length, code = struct.unpack("!ii", head)
        rest = await _read_exactly(reader, length - 8)
        if code in (_SSL_REQUEST, _GSS_REQUEST):
            client.write(b"N")
            await client.drain()
            continue
        server.write(head + rest)
        await server.drain()
        break
    prepared: dict[str, str] = {}
    portals: dict[str, str] = {}
    while True:
        head = await _read_exactly(reader, 5)
        kind, length = head[:1], struct.unpack("!i", head[1:])[0]
        payload = await _read_exactly(reader, length - 4)
        if kind == b"Q":
            recorder.statements.append(_cstrings(payload, 1)[0])
        elif kind == b"P":
            name, text = _cstrings(payload, 2)
            prepared[name] = text
        elif kind == b"B":
            portal, name = _cstrings(payload, 2)
            portals[portal] = prepared.get(name, "?")
        elif kind == b"E":
            recorder.statements.append(portals.get(_cstrings(payload, 1)[0], "?"))
        server.write(head + payload)
        await server.drain()
        if kind == b"X":
            return


async def _server_to_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def serve(listen_port: int, target_host: str, target_port: int,
                recorder: Recorder) -> asyncio.Server:
    """Relay ``127.0.0.1:listen_port`` to the PostgreSQL server at the target."""

    async def handle(client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(target_host, target_port)
        tasks = [asyncio.create_task(_client_to_server(client_reader, client_writer,
                                                       server_writer, recorder)),
                 asyncio.create_task(_server_to_client(server_reader, client_writer))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for writer in (client_writer, server_writer):
                writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", listen_port)
