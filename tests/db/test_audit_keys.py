"""Checkpoint keys: read from the forms an operator writes, refused plainly otherwise."""

import base64

import pytest

from api.audit_keys import signing_key
from api.settings import Settings
from db.audit_keys import KeyProblem, SigningKey, Verifier, public_text, read_public


def test_a_key_reads_from_pem_and_from_a_base64_seed_alike():
    key = SigningKey.generate()
    seed = base64.b64encode(bytes(range(32))).decode()

    assert SigningKey.from_text(key.pem().decode()).key_id == key.key_id
    assert SigningKey.from_text(seed).key_id == SigningKey.from_text(seed).key_id


@pytest.mark.parametrize("text", ["", "not base64!", base64.b64encode(b"short").decode(),
                                  "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"])
def test_an_unreadable_key_is_refused_without_echoing_it(text):
    with pytest.raises(KeyProblem) as refused:
        SigningKey.from_text(text)
    assert text not in str(refused.value) or not text


def test_a_signature_verifies_under_its_public_key_only():
    key, other = SigningKey.generate(), SigningKey.generate()
    signature = key.sign(b"body")

    assert Verifier([read_public(public_text(key.public))])(key.key_id, b"body", signature)
    assert not Verifier([key.public])(key.key_id, b"bodY", signature)
    assert not Verifier([other.public])(key.key_id, b"body", signature)
    assert not Verifier([key.public])(key.key_id, b"body", "not base64!")


def test_development_generates_a_key_once_and_production_never(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = signing_key(Settings(env="development"))
    again = signing_key(Settings(env="development"))
    production = signing_key(Settings(env="production", jwt_secret="p" * 40))

    assert first is not None and again is not None and first.key_id == again.key_id
    assert (tmp_path / "var" / "audit-signing-key.pem").stat().st_mode & 0o077 == 0
    assert production is None


def test_a_configured_key_wins_over_the_development_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seed = base64.b64encode(bytes(32)).decode()

    key = signing_key(Settings(env="production", jwt_secret="p" * 40,
                               audit_signing_key=seed))  # type: ignore[arg-type]

    assert key is not None and key.key_id == SigningKey.from_text(seed).key_id
    assert not (tmp_path / "var").exists()
