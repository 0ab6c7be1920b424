"""CPU time spent during a load, split between PostgreSQL and the server under test.

Read from Linux's ``/proc``: the user and system time of every process whose command is
``postgres`` (the backends serving the load, and the background writers), and of every
process in the server's process group (the benchmarks start each server in a session of
its own, so its workers are in that group). A process that exits between two readings
takes its time with it; the benchmarks keep their servers and pooled backends alive for
the whole load, so nothing they spend is lost.

Divided by the requests served, it says which side a scenario's extra cost is on: with
the load generator, both share the machine's cores, so a page that costs PostgreSQL more
lowers the throughput of the server too.
"""

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Spent:
    """Seconds of CPU: PostgreSQL's processes, the server's."""

    postgres: float
    server: float

    def __add__(self, other: "Spent") -> "Spent":
        return Spent(self.postgres + other.postgres, self.server + other.server)

    def __sub__(self, other: "Spent") -> "Spent":
        return Spent(self.postgres - other.postgres, self.server - other.server)

    def per_request(self, requests: float) -> str:
        """Microseconds per request, as the reports print them."""
        return (f"PostgreSQL {self.postgres / requests * 1e6:.0f} µs, "
                f"server {self.server / requests * 1e6:.0f} µs")


def spent(server_group: int) -> Spent:
    """CPU spent so far by PostgreSQL and by the process group ``server_group``."""
    postgres = server = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if command.startswith("postgres"):
            postgres += ticks
        elif int(fields[2]) == server_group:  # pgrp
            server += ticks
    return Spent(postgres / _TICKS, server / _TICKS)
