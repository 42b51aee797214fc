"""Secrets: password hashing (the standard library's scrypt), session tokens and the server's secret key."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from backend.config import Settings

_N, _R, _P = 2**14, 8, 1  # OWASP's minimum scrypt cost; about 50 ms on the CI machines
_PREFIX = "scrypt"
TOKEN_BYTES = 32  # 256 random bits per session token
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) produces


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
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return _key_file(settings.secret_key_path)


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
