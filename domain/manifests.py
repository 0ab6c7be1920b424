"""Persisted-operation manifests, as the client tool chains write them.

Two formats are read, and told apart by their shape:

* Apollo's (``@apollo/generate-persisted-query-manifest``): an object
  ``{"format": "apollo-persisted-query-manifest", "version": 1, "operations":
  [{"id", "name", "type", "body"}, …]}``. The ``id`` is the SHA-256 of ``body``, the text
  Apollo Client sends after its own transforms (``__typename`` added); its persisted-query
  link, configured from the manifest, sends that ``id``.
* graphql-codegen's client preset (``persistedDocuments``): an object mapping each hash to
  the document's text, ``{"<hash>": "query Name { … }"}``; the hash is the SHA-1 of the text
  by default, SHA-256 when so configured, and the generated documents carry it.

Either way the id a client will send is the manifest's, and it must be the SHA-1 or
SHA-256 (hex) of its text: an id that is neither is refused, so no id can name another
text than its own.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from domain import limits
from domain.errors import InvalidInput

APOLLO_FORMAT = "apollo-persisted-query-manifest"
_HEX_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_OPERATION_NAME = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
FIELD = "manifest"


@dataclass(frozen=True)
class ManifestOperation:
    """One operation of a manifest: the id clients send, a name, and the exact text."""

    id: str
    name: str
    body: str


def is_operation_id(value: str) -> bool:
    """Whether ``value`` has the shape of an operation id: SHA-1 or SHA-256, lowercase hex."""
    return _HEX_ID.fullmatch(value) is not None


def id_matches(operation_id: str, body: str) -> bool:
    """Whether ``operation_id`` is the SHA-1 or SHA-256 (hex) of ``body``."""
    algorithm = "sha1" if len(operation_id) == 40 else "sha256"
    return hashlib.new(algorithm, body.encode()).hexdigest() == operation_id


def read_manifest(text: str) -> list[ManifestOperation]:
    """The operations of a manifest in either format, each id checked against its text.

    Raises:
        InvalidInput: not JSON, neither format, no operation or more than
            `limits.LIST_ITEMS`, an id that is not the hash of its text, a text beyond
            `limits.OPERATION_TEXT` (field ``manifest``).
    """
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput("The manifest is not JSON.", field=FIELD) from None
    if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
        operations = _apollo(data)
    elif isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        operations = [ManifestOperation(str(key), _name(str(key), body), body)
                      for key, body in data.items()]
    else:
        raise InvalidInput(
            f"Give an Apollo manifest (format {APOLLO_FORMAT}) or graphql-codegen's "
            "persisted documents (an object of hash → text).", field=FIELD)
    if not 0 < len(operations) <= limits.LIST_ITEMS:
        raise InvalidInput(f"A manifest holds 1 to {limits.LIST_ITEMS} operations.",
                           field=FIELD)
    for operation in operations:
        _check(operation)
    return operations


def _apollo(data: dict[str, Any]) -> list[ManifestOperation]:
    if data.get("version") != 1:
        raise InvalidInput("Only version 1 of Apollo's manifest format is read.", field=FIELD)
    entries = data.get("operations")
    if not isinstance(entries, list):
        raise InvalidInput("The manifest's operations must be a list.", field=FIELD)
    found = []
    for entry in entries:
        if not (isinstance(entry, dict)
                and all(isinstance(entry.get(k), str) for k in ("id", "name", "body"))):
            raise InvalidInput("Each operation needs a string id, name and body.",
                               field=FIELD)
        found.append(ManifestOperation(entry["id"], entry["name"], entry["body"]))
    return found


def _name(operation_id: str, body: str) -> str:
    match = _OPERATION_NAME.search(body)
    return match.group(1) if match else f"operation {operation_id[:12]}"


def _check(operation: ManifestOperation) -> None:
    label = operation.name[:limits.OPERATION_NAME]
    if not is_operation_id(operation.id):
        raise InvalidInput(f"Operation '{label}': its id is not a SHA-1 or SHA-256 (lowercase "
                           "hex).", field=FIELD)
    if not operation.body.strip() or len(operation.body) > limits.OPERATION_TEXT:
        raise InvalidInput(f"Operation '{label}': give its text in 1 to "
                           f"{limits.OPERATION_TEXT} characters.", field=FIELD)
    if not operation.name.strip() or len(operation.name) > limits.OPERATION_NAME:
        raise InvalidInput(f"Operation '{label}': give a name of 1 to "
                           f"{limits.OPERATION_NAME} characters.", field=FIELD)
    if not id_matches(operation.id, operation.body):
        raise InvalidInput(f"Operation '{label}': its id is not the SHA-1 or SHA-256 of its "
                           "text.", field=FIELD)
