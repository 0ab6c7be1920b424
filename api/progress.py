"""Progress of long CLI work (a large seed, an audit walk), drawn on stderr with rich.

Only when stderr is a terminal: piped or captured output (scripts, CI, the tests) stays
exactly what it was, and stdout never carries progress, so its one answer line stays
parseable.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True))


@contextmanager
def phases() -> Iterator[Callable[[str, int, int], None] | None]:
    """A ``(phase, done, total)`` reporter with a bar per phase; None without a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    tasks: dict[str, TaskID] = {}
    with _progress() as progress:
        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

        yield report


@contextmanager
def counter(description: str) -> Iterator[Callable[[int], None] | None]:
    """A reporter of a count with no known end (events verified); None without a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with _progress() as progress:
        task = progress.add_task(description, total=None)

        def report(done: int) -> None:
            progress.update(task, completed=done)

        yield report
