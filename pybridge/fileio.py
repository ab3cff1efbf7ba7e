"""Atomic file writes, used by every writer in the engine (NDArray files, checkpoints, JSON).

    with atomic_write("model-0001.params", where="save") as f:
        f.write(...)

The data goes to a temporary file in the target's directory, which is flushed and fsynced and
then renamed over the target with ``os.replace`` (atomic on POSIX and Windows).  Readers see
the old file or the new one, never a partial one: if the writer raises, or the process is
killed, the old file is untouched (a killed process may leave a ``.NAME.*.tmp`` file behind).
"""
import contextlib
import os
import stat
import tempfile

from .base import MXNetError

__all__ = ["atomic_write", "write_bytes", "write_text"]


def _current_umask():
    # os.umask can only be read by setting it; do it once, at import, before threads start.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _fsync_dir(dirname):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None, where="atomic_write"):
    """Open a temporary file for writing; on success it replaces ``path`` atomically.

    ``mode`` is "wb" or "w" (text, ``encoding`` default UTF-8).  ``where`` names the calling
    function in error messages.  OS errors (missing directory, no permission, disk full) raise
    ``MXNetError``; any other exception raised in the caller's block propagates unchanged.
    Either way the temporary file is removed and the old file, if any, is left as it was."""
    if mode not in ("wb", "w"):
        raise MXNetError(f"{where}: atomic_write mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    # Write through a symlink to its target, as open(path, 'w') would.
    target = os.path.realpath(path)
    dirname = os.path.dirname(target) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                   dir=dirname)
    except OSError as exc:
        raise MXNetError(f"{where}: cannot write file '{path}': {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file 0600; give it the old file's mode, or the usual default.
        try:
            file_mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            file_mode = 0o666 & ~_UMASK
        os.chmod(tmp, file_mode)
        if mode == "w":
            f = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")
        else:
            f = os.fdopen(fd, "wb")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, MXNetError):
            raise MXNetError(f"{where}: cannot write file '{path}': "
                             f"{exc.strerror or exc}") from None
        raise
    _fsync_dir(dirname)


def write_bytes(path, data, where="write_bytes"):
    """Atomically replace ``path`` with ``data`` (bytes)."""
    with atomic_write(path, "wb", where=where) as f:
        f.write(data)


def write_text(path, text, encoding="utf-8", where="write_text"):
    """Atomically replace ``path`` with ``text``."""
    with atomic_write(path, "w", encoding=encoding, where=where) as f:
        f.write(text)
