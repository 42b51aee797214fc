import base64
import hashlib
import hmac
import stat
import subprocess
import sys
from pathlib import Path

from backend.security import (
    generate_password,
    hash_password,
    hmac_sha256_hex,
    new_shared_secret,
    new_token,
    seal,
    secret_key,
    token_hash,
    unseal,
    verify_password,
)
from tests.support import make_settings


def test_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("wrong horse battery", stored)
    assert hash_password("correct horse battery") != stored  # salted


def test_malformed_hashes_never_verify() -> None:
    for stored in ["", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$BBBB"]:
        assert not verify_password("anything", stored)


def test_tokens_are_256_bits_and_only_their_shape_hashes() -> None:
    token = new_token()
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert token != new_token()
    digest = token_hash(token)
    assert digest is not None
    assert len(digest) == 64
    assert token not in digest
    for bad in ["", "short", token + "x", token[:-1] + "!", "a" * 10_000]:
        assert token_hash(bad) is None


def test_generated_passwords_are_long_and_random() -> None:
    assert len(generate_password()) >= 20
    assert generate_password() != generate_password()


def test_secret_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = make_settings("postgresql://x@127.0.0.1/x", tmp_path / "data")
    key = secret_key(settings)
    assert len(key) >= 32
    assert secret_key(settings) == key
    path = settings.secret_key_path
    assert path.read_text().strip().encode() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_configured_secret_key_wins(tmp_path: Path) -> None:
    settings = make_settings("postgresql://x@127.0.0.1/x", tmp_path, secret_key="k" * 40)
    assert secret_key(settings) == b"k" * 40
    assert not settings.secret_key_path.exists()


def test_processes_racing_to_make_the_key_agree(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from backend.security import _key_file;"
        "sys.stdout.write(_key_file(Path(sys.argv[1])).decode())"
    )
    target = tmp_path / "race" / "secret_key"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    keys = {proc.communicate(timeout=60)[0] for proc in procs}
    assert len(keys) == 1
    assert len(keys.pop()) >= 32


def test_a_sealed_secret_opens_only_for_its_purpose_owner_and_server_key(tmp_path: Path) -> None:
    settings = make_settings("postgresql://x@127.0.0.1/x", tmp_path, secret_key="k" * 40)
    secret = new_shared_secret()
    sealed = seal(settings, secret, purpose="google-forms", bound_to="form-1:1")
    assert secret not in sealed
    assert sealed.startswith("v1.")
    assert seal(settings, secret, purpose="google-forms", bound_to="form-1:1") != sealed  # a fresh nonce
    assert unseal(settings, sealed, purpose="google-forms", bound_to="form-1:1") == secret
    assert unseal(settings, sealed, purpose="google-forms", bound_to="form-2:1") is None
    assert unseal(settings, sealed, purpose="google-forms", bound_to="form-1:2") is None
    assert unseal(settings, sealed, purpose="cursors", bound_to="form-1:1") is None
    other = make_settings("postgresql://x@127.0.0.1/x", tmp_path, secret_key="z" * 40)
    assert unseal(other, sealed, purpose="google-forms", bound_to="form-1:1") is None
    changed = sealed[:-2] + ("AA" if sealed[-2:] != "AA" else "BB")
    for broken in (changed, "", "v1.", "v1.!!!", "v2." + sealed[3:], sealed[:20]):
        assert unseal(settings, broken, purpose="google-forms", bound_to="form-1:1") is None


def test_shared_secrets_are_256_bits_and_hmac_is_the_standard_one() -> None:
    secret = new_shared_secret()
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    assert secret != new_shared_secret()
    expected = hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert hmac_sha256_hex("key", b"1700000000.{}") == expected
    # RFC 4231, test case 2
    assert hmac_sha256_hex("Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
