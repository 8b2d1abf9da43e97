"""The keys that seal secrets kept in the store (the athletes' Google refresh tokens): Fernet
keys (AES-128-CBC with an HMAC-SHA256, from `cryptography`), one a line, the newest first, read
from a key file of mode 0600 or from an environment variable; the config names which
([service] secret_key_file / secret_key_env).

Rotation: put a new key on the first line (`racecal secrets new-key` does), run
`racecal secrets rotate` (every sealed secret is opened with whichever key sealed it and sealed
again with the first), then drop the old lines. Until they are dropped, secrets sealed with an
old key keep opening.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

# `cryptography` comes with the google extra and is imported when keys are read: the service,
# `racecal athlete` and the endpoint's login import this module on an install without it.
MISSING = "the cryptography package is missing: pip install 'racecal[google]'"


class SecretError(RuntimeError):
    """No key, a bad key, a key file others can read, or a sealed secret no key opens; str() is
    one line naming the file or variable and what to do."""


@dataclass(frozen=True)
class Sealer:
    """Seals with the newest key, opens with any."""

    keys: MultiFernet
    # Where the keys came from, for messages: "/etc/racecal/secret.key" or "$RACECAL_SECRET".
    where: str

    def seal(self, plain: str, at: datetime | None = None) -> str:
        """Sealed, stamped with the moment `at` (now when None)."""
        if at is None:
            return self.keys.encrypt(plain.encode()).decode()
        return self.keys.encrypt_at_time(plain.encode(), int(at.timestamp())).decode()

    def open(self, sealed: str, ttl: int | None = None, at: datetime | None = None) -> str:
        """The plain text; with `ttl`, only when it was sealed at most that many seconds before
        the moment `at` (now when None)."""
        from cryptography.fernet import InvalidToken  # noqa: PLC0415 (see MISSING)

        try:
            if ttl is not None and at is not None:
                opened = self.keys.decrypt_at_time(sealed.encode(), ttl, int(at.timestamp()))
                return opened.decode()
            return self.keys.decrypt(sealed.encode(), ttl).decode()
        except InvalidToken:
            raise SecretError(
                f"{self.where}: no key opens a sealed secret (was its key removed before "
                "'racecal secrets rotate' ran?)"
            ) from None

    def reseal(self, sealed: str) -> str:
        """The secret sealed again with the newest key (unchanged when it already is)."""
        from cryptography.fernet import InvalidToken  # noqa: PLC0415 (see MISSING)

        try:
            return self.keys.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SecretError(f"{self.where}: no key opens a sealed secret") from None


def new_key() -> str:
    return _fernet()[0].generate_key().decode()


def _fernet() -> tuple[type[Fernet], type[MultiFernet]]:
    try:
        from cryptography.fernet import Fernet, MultiFernet  # noqa: PLC0415 (see MISSING)
    except ImportError:
        raise SecretError(MISSING) from None
    return Fernet, MultiFernet


def parse(text: str, where: str) -> Sealer:
    """Keys one a line, newest first; blank lines and # comments are skipped."""
    one, many = _fernet()
    lines = [line.strip() for line in text.splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys:
        raise SecretError(f"{where}: no key; make one with 'racecal secrets new-key'")
    fernets = []
    for number, key in enumerate(keys, 1):
        try:
            fernets.append(one(key))
        except ValueError:
            # The key itself is never echoed: it is the secret.
            raise SecretError(
                f"{where}: key {number} is not a Fernet key (32 url-safe base64 bytes); "
                "make one with 'racecal secrets new-key'"
            ) from None
    return Sealer(many(fernets), where)


def read_key_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretError(f"{path}: no key file; make one with 'racecal secrets new-key'") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(f"{path}: the key file is readable by others; chmod 600 it")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"{path}: cannot read the key file: {exc}") from None


def sealer(key_file: Path | None, key_env: str | None, env: Mapping[str, str]) -> Sealer:
    """The keys the config names: the variable `key_env` when it is set, else the key file."""
    if key_env and env.get(key_env):
        return parse(env[key_env], f"${key_env}")
    if key_file is not None:
        return parse(read_key_file(key_file), str(key_file))
    if key_env:
        raise SecretError(f"${key_env}: not set (named by [service] secret_key_env)")
    raise SecretError(
        "[service] secret_key_file or secret_key_env: no key to seal secrets in the store"
    )


def add_key(path: Path) -> None:
    """A new key on the first line of the key file (made 0600 when there is none): new secrets
    are sealed with it; the old keys below still open what they sealed."""
    old = read_key_file(path) if path.exists() else ""
    text = new_key() + "\n" + old
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
