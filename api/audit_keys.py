"""Where the checkpoint signing key and the witness come from (settings → db.audit_keys).

Development and test need no set-up: a key is generated under ``var/`` on first use, as
the development database is. Production never generates one: a key made by a replica on
its own disk would sign checkpoints nobody can check elsewhere, and would be lost with the
container. Without a configured key the API seals nothing (it logs why at start), events
stay unsealed and `cadre audit verify` reports them once older than its bound.
"""

import contextlib
import json
import os
from pathlib import Path

from api.settings import Settings
from db.audit_export import FORMAT as EXPORT_FORMAT
from db.audit_keys import SigningKey, Verifier, read_public
from domain.audit import Checkpoint

DEVELOPMENT_KEY_FILE = Path("var/audit-signing-key.pem")
DEVELOPMENT_WITNESS_FILE = Path("var/audit-witness.json")


def signing_key(settings: Settings) -> SigningKey | None:
    """The configured signing key; None in production without one.

    Raises:
        db.audit_keys.KeyProblem: the configured key cannot be read.
    """
    if settings.audit_signing_key is not None:
        return SigningKey.from_text(settings.audit_signing_key.get_secret_value())
    path = settings.audit_signing_key_file
    if path is None:
        if settings.env == "production":
            return None
        path = DEVELOPMENT_KEY_FILE
        if not path.exists():
            # Another process may make it meanwhile: then that one is used.
            with contextlib.suppress(FileExistsError):
                SigningKey.generate().write(path)
    return SigningKey.from_text(path.read_text())


def verifier(settings: Settings, public_keys: list[str] | None = None) -> Verifier:
    """Trusts ``public_keys`` when given; otherwise the signing key's own public key and
    the configured trusted ones."""
    if public_keys:
        return Verifier(read_public(text) for text in public_keys)
    key = signing_key(settings)
    trusted = [read_public(text) for text in settings.audit_trusted_public_keys]
    return Verifier([key.public, *trusted] if key else trusted)


def witness_file(settings: Settings) -> Path | None:
    if settings.audit_witness_file is not None:
        return settings.audit_witness_file
    return None if settings.env == "production" else DEVELOPMENT_WITNESS_FILE


def read_witness(path: Path | None) -> tuple[int, str] | None:
    """``(checkpoint id, hash)`` noted in ``path``, a witness file or an earlier export
    (its newest checkpoint); None when there is no such file or it names none.

    Raises:
        ValueError: the file is neither.
    """
    if path is None or not path.exists():
        return None
    with path.open(encoding="utf-8") as lines:
        first = json.loads(next(lines, "null") or "null")
        if isinstance(first, dict) and "checkpoint" in first and "hash" in first:
            return int(first["checkpoint"]), str(first["hash"])
        if not isinstance(first, dict) or first.get("format") != EXPORT_FORMAT:
            raise ValueError(f"{path} is neither a witness file nor an audit export")
        newest = first.get("anchor")
        for line in lines:
            item = json.loads(line) if line.strip() else {}
            newest = item.get("checkpoint", newest)
    return None if newest is None else (int(newest["id"]), str(newest["hash"]))


def note_witness(path: Path | None, checkpoint: Checkpoint) -> None:
    """Note ``checkpoint`` in ``path`` unless a newer one is noted there (atomic write)."""
    if path is None:
        return
    current = read_witness(path)
    if current is not None and current[0] >= checkpoint.id:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps({"checkpoint": checkpoint.id, "hash": checkpoint.hash}))
    scratch.replace(path)
