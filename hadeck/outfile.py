"""Files hadeck writes: private, never through a symlink, never over a file silently.

Every writer uses these — snapshot bundles (:mod:`hadeck.snapshot`), the events log
(:mod:`hadeck.watch.eventlog`) and, when it comes, the actions' journal — because what
they hold came from the cluster and may be run as root:

* mode 0600 (directories 0700), whatever the umask;
* ``O_NOFOLLOW``: a symlink planted at the target (``out.tar.gz → /etc/shadow``) is
  refused, not written through; a directory tree is walked with ``O_NOFOLLOW`` at every
  level, so a planted ``node → /etc`` is refused too;
* ``O_EXCL``: a file that exists is not overwritten unless the caller says so
  (``hadeck snapshot --force``), and then it is unlinked first — a symlink is removed,
  never followed — and created anew.

A file that lives in a directory of its own (the actions' journal) is opened with
:func:`open_private_append`, which also refuses a symlinked directory on the way: the
journal's own directory is never a symlink, a symlink above it is followed only when root
or the writer owns it, and the directory must belong to root or the writer and be
writable by no one else.

Each failure is one :class:`WriteError` whose message names the path and the reason.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WriteError(Exception):
    """A file could not be written; the message says which and why, in one line."""


def _why(path: str | Path, exc: OSError) -> WriteError:
    if exc.errno == errno.ELOOP:
        return WriteError(f"{path}: is a symbolic link; refusing to write through it")
    if exc.errno == errno.EEXIST:
        return WriteError(f"{path}: already exists; refusing to overwrite it "
                          "(--force replaces it)")
    return WriteError(f"{path}: cannot write: {exc.strerror or exc}")


def create(path: str | Path, force: bool = False) -> BinaryIO:
    """A new file at ``path``, mode 0600, open for writing.

    Args:
        path: where to create it; its directory must exist.
        force: replace a file (or symlink) that is there; a directory is never replaced.

    Raises:
        WriteError: it exists (and not ``force``), is a symlink, or cannot be created.
    """
    if force:
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                raise WriteError(f"{path}: is a directory; refusing to replace it")
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _why(path, exc) from None
    try:
        fd = os.open(path, _CREATE, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.EEXIST and os.path.islink(path):
            exc = OSError(errno.ELOOP, "is a symbolic link")
        raise _why(path, exc) from None
    os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away, never add them back
    return os.fdopen(fd, "wb")


def open_append(path: str | Path) -> BinaryIO:
    """``path`` open for appending, created mode 0600 if it is not there.

    A regular file that is there is made 0600 (an events log from before this rule).

    Raises:
        WriteError: it is a symlink or cannot be opened.
    """
    try:
        fd = os.open(path, _APPEND, FILE_MODE)
    except OSError as exc:
        raise _why(path, exc) from None
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE:
        try:
            os.fchmod(fd, FILE_MODE)
        except OSError:
            pass  # not ours to change (another user's file we may append to)
    return os.fdopen(fd, "ab")


def open_private_append(path: str | Path) -> BinaryIO:
    """``path`` open for appending, as :func:`open_append`, in a private directory that
    is created (0700, each missing level) if it is not there.

    Every directory on the way is checked before it is trusted, so that nobody else can
    steer the write (``/tmp/j/actions.jsonl`` with ``/tmp/j → /etc`` planted by another
    user; a journal directory swapped for a symlink):

    * a symlink among the ancestors is followed only if root or the writer owns it (the
      rule of the kernel's ``protected_symlinks``, for every level);
    * the file's own directory is never a symlink; it is opened with ``O_NOFOLLOW`` and its
      ``fstat`` must be the very directory checked (same device and inode), owned by root
      or the writer, and writable by no one else (who could otherwise swap the file);
    * the file is opened relative to that directory's descriptor, ``O_NOFOLLOW``.

    Raises:
        WriteError: a check fails, or the directory or file cannot be made or opened.
    """
    path = Path(os.path.abspath(path))
    parent = path.parent
    me = os.geteuid()
    prefix = Path(parent.anchor)
    for part in parent.parts[1:]:
        prefix = prefix / part
        try:
            info = os.lstat(prefix)
        except FileNotFoundError:
            break  # made below, by us
        except OSError as exc:
            raise _why(prefix, exc) from None
        if stat.S_ISLNK(info.st_mode):
            if prefix == parent:
                raise WriteError(f"{prefix}: is a symbolic link; refusing to write the "
                                 "journal through it")
            if info.st_uid not in (0, me):
                raise WriteError(f"{prefix}: is a symbolic link owned by uid "
                                 f"{info.st_uid}, neither root nor you; refusing to "
                                 "follow it")
    try:
        # Each missing level 0700 (os.makedirs gives the upper ones the umask's mode).
        for level in reversed([parent, *parent.parents]):
            if not os.path.lexists(level):
                try:
                    os.mkdir(level, DIR_MODE)
                except FileExistsError:
                    pass
        seen = os.lstat(parent)
        fd_dir = os.open(parent, _DIR)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(parent):
            exc = OSError(errno.ELOOP, "is a symbolic link")
        raise _why(parent, exc) from None
    try:
        info = os.fstat(fd_dir)
        if (info.st_dev, info.st_ino) != (seen.st_dev, seen.st_ino):
            raise WriteError(f"{parent}: changed while it was opened; refusing to write")
        if info.st_uid not in (0, me):
            raise WriteError(f"{parent}: belongs to uid {info.st_uid}, neither root nor "
                             "you; refusing to write into it")
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise WriteError(f"{parent}: others may write in it (mode "
                             f"{stat.S_IMODE(info.st_mode):04o}); refusing to write into "
                             "it (make it 0700)")
        try:
            fd = os.open(path.name, _APPEND, FILE_MODE, dir_fd=fd_dir)
        except OSError as exc:
            raise _why(path, exc) from None
    finally:
        os.close(fd_dir)
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE:
        try:
            os.fchmod(fd, FILE_MODE)
        except OSError:
            pass  # not ours to change
    return os.fdopen(fd, "ab")


def write_tree(root: str | Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (relative POSIX names → contents) under a new directory ``root``.

    ``root`` is created (0700), or may be an empty directory that is there; directories
    below it are created 0700 and files 0600, each opened relative to its parent with
    ``O_NOFOLLOW``, so no symlink anywhere in the tree is followed.

    Raises:
        WriteError: ``root`` is not a new or empty directory, or something cannot be
            written.
    """
    root = Path(root)
    try:
        os.mkdir(root, DIR_MODE)
    except FileExistsError:
        pass
    except OSError as exc:
        raise _why(root, exc) from None
    try:
        top = os.open(root, _DIR)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(root):
            exc = OSError(errno.ELOOP, "is a symbolic link")
        elif exc.errno == errno.ENOTDIR:
            raise WriteError(f"{root}: exists and is not a directory; refusing to "
                             "overwrite it") from None
        raise _why(root, exc) from None
    try:
        if os.listdir(top):
            raise WriteError(f"{root}: is a directory that is not empty; refusing to "
                             "write a bundle into it (name a new one)")
        for name, data in sorted(files.items()):
            _write_at(top, root, PurePosixPath(name), data)
    finally:
        os.close(top)


def _write_at(top: int, root: Path, name: PurePosixPath, data: bytes) -> None:
    fds: list[int] = []
    parent = top
    try:
        for part in name.parts[:-1]:
            try:
                os.mkdir(part, DIR_MODE, dir_fd=parent)
            except FileExistsError:
                pass
            parent = os.open(part, _DIR, dir_fd=parent)
            fds.append(parent)
        fd = os.open(name.parts[-1], _CREATE, FILE_MODE, dir_fd=parent)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(fd, FILE_MODE)
            handle.write(data)
    except OSError as exc:
        raise _why(root / name, exc) from None
    finally:
        for fd in fds:
            os.close(fd)
