"""Put a new file in place only if the old one is still what was read: compare-and-swap on a
path, so racecal never writes over what another program saved meanwhile.

On Linux, renameat2(RENAME_EXCHANGE) swaps the new file and the current one in one step: the
file that was replaced stays reachable (under the new file's temp name) and is checked after
the swap; when it is not the one read, the two are swapped back and nobody's write is lost,
whenever it landed. Where the system or the filesystem cannot exchange, the check runs right
before os.replace, and a save landing in the microseconds between the two is the gap left.
A file that did not exist when read is created with link(), which fails if one appeared.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2
# The kernel or the filesystem cannot exchange: fall back to check-then-replace.
UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV}


class Changed(Exception):
    """The file is no longer the one read; nothing was replaced."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_of(path: Path) -> str | None:
    """The content digest of the file at `path`, None when there is none."""
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None


def _load_renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not glibc >= 2.28, not Linux
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _load_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap the files at `a` and `b` atomically; False when this system cannot. Raises
    FileNotFoundError when either is missing."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(b))


def replace_if_unchanged(new: Path, path: Path, read: str | None) -> None:
    """Move the file `new` to `path` if `path` still holds the content whose digest is `read`
    (None: there was no file). Raises Changed otherwise, leaving `path` as it is; `new` is left
    for the caller to remove then."""
    if read is None:
        try:
            os.link(new, path)
        except FileExistsError:
            raise Changed from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            # No hard links here (some FUSE and FAT mounts): check, then rename.
            if path.exists():
                raise Changed from None
            os.replace(new, path)
            return
        new.unlink()
        return
    if digest_of(path) != read:
        raise Changed
    try:
        swapped = exchange(new, path)
    except FileNotFoundError:  # deleted since the check
        raise Changed from None
    if not swapped:
        os.replace(new, path)
        return
    if digest_of(new) == read:
        new.unlink(missing_ok=True)  # the file replaced was the one read
        return
    # Saved by someone else between the check and the swap: theirs goes back.
    exchange(new, path)
    raise Changed
