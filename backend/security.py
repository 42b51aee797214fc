"""Secrets: password hashing (the standard library's scrypt), session tokens, the server's secret keys,
shared secrets sealed with it (AES-GCM), and HMAC-SHA256 signatures."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from backend.config import Settings

_N, _R, _P = 2**14, 8, 1  # OWASP's minimum scrypt cost; about 50 ms on the CI machines
_PREFIX = "scrypt"
TOKEN_BYTES = 32  # 256 random bits per session token
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) produces
_SEALED = "v1."  # the format of a sealed secret: v1.<base64url of the 12-byte nonce + ciphertext + tag>
_NONCE_BYTES = 12


def hash_password(password: str) -> str:
    """A self-describing hash: ``scrypt$N$r$p$salt$digest``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    enc = base64.urlsafe_b64encode
    return f"{_PREFIX}${_N}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.urlsafe_b64decode(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when there is no such user, so that answer costs the same single scrypt call as a
# wrong password. Made once from a random password nobody kept; nothing can match it.
DECOY_HASH = (
    "scrypt$16384$8$1$hJ1401o1PqFiM0OLyaBxaw==$"
    "TcZALufsn8Jx0PHjZu68X3haD5ee9TOUjpkzow7NCcqjrVcF7oLXbONMTnUWmhvh9zW-TcGvnDI89M3GDfVPaA=="
)


def generate_password() -> str:
    """A strong password to show once: 20 URL-safe characters (120 random bits)."""
    return secrets.token_urlsafe(15)


def new_token() -> str:
    """A session token: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str | None:
    """The SHA-256 (hex) under which a token's session is stored; None for anything not shaped like one."""
    if not _TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def secret_key(settings: Settings) -> bytes:
    """WELLNESS_SECRET_KEY, else the key in the data dir (created once, readable by this user only)."""
    return _configured_or_generated(settings.secret_key, settings.secret_key_path)


def storage_signing_key(settings: Settings) -> bytes:
    """WELLNESS_STORAGE_SIGNING_KEY, else the one in the data dir (created once, as ``secret_key``)."""
    return _configured_or_generated(settings.storage_signing_key, settings.storage_signing_key_path)


def _configured_or_generated(configured: SecretStr | None, path: Path) -> bytes:
    if configured is not None:
        return configured.get_secret_value().encode()
    return _key_file(path)


@functools.cache
def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: a process racing us
        # either wins the link or reads the complete key of the winner, never a half-written file.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to have a new one made")
    return key.encode()


def new_shared_secret() -> str:
    """A secret to share with another system (a form's signing secret): 256 random bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def seal(settings: Settings, plaintext: str, *, purpose: str, bound_to: str) -> str:
    """``plaintext`` encrypted (AES-256-GCM) under a key derived from the server's secret key for
    ``purpose``; ``bound_to`` (e.g. the owning document's id) is authenticated with it, so a sealed
    value copied to another document does not open there."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_sealing_key(secret_key(settings), purpose)).encrypt(
        nonce, plaintext.encode(), bound_to.encode()
    )
    return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(settings: Settings, sealed: str, *, purpose: str, bound_to: str) -> str | None:
    """The plaintext of ``seal``; None when it does not open (another server key, purpose or owner,
    or a changed value)."""
    if not sealed.startswith(_SEALED):
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_SEALED) :] + "=" * (-len(sealed) % 4))
        opened = AESGCM(_sealing_key(secret_key(settings), purpose)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to.encode()
        )
        return opened.decode()
    except (ValueError, InvalidTag, UnicodeDecodeError):
        return None


@functools.cache
def _sealing_key(server_key: bytes, purpose: str) -> bytes:
    # One key per purpose, so a value sealed for one use can never be opened as another.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"wellness/{purpose}/v1".encode())
    return hkdf.derive(server_key)


def hmac_sha256_hex(key: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under the UTF-8 bytes of ``key``, as 64 lowercase hex characters."""
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
