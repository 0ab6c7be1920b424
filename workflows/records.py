"""What a workflow answers: the record it wrote, for the API to build its payload from."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from authz.compiled import Grant

Record = TypeVar("Record")


@dataclass(frozen=True)
class Written(Generic[Record]):
    """A workflow's answer: the record as written, and the caller's grants on it, from
    which the API builds its payload in the same transaction (no second read of it)."""

    record: Record
    grants: frozenset[Grant]
