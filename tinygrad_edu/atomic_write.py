"""Writing a file so that readers see the old version or the new one, never half of one.

Every file the framework writes (models, weights, checkpoints, rendered pictures, downloads)
goes through :func:`atomic_path` (or :func:`atomic_write`, its stream form):

1. the bytes go to a temporary file in the target's own folder, named
   ``.tmp-<pid>-<random>-<target name>`` (hidden, never mistaken for the target, and with
   the target's extension for writers that choose the format by it);
2. the file is flushed and ``fsync``-ed, given the permissions a plain ``open()`` would
   give (0644 under the usual umask 022; an existing target keeps its own mode), then
3. renamed over the target with ``os.replace`` (one step on every operating system), and the
   folder is ``fsync``-ed so that the rename itself survives a power cut.

A process killed between steps 1 and 3 leaves its temporary file behind. Because the name
holds the writer's process id, the next write into the same folder removes the temporary
files of processes that no longer run, so interrupted saves never pile up. (Should the
system reuse a dead writer's process id for a live process, its file waits until that one
ends: a file in use is never removed.)

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> atomic_write(path, lambda stream: stream.write(b"hello"))
>>> open(path, "rb").read(), [name for name in os.listdir(os.path.dirname(path))]
(b'hello', ['notes.txt'])
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write", "atomic_path", "remove_stale_temporaries", "file_path"]

_PREFIX = ".tmp-"
_TEMPORARY_NAME = re.compile(r"^\.tmp-(\d+)-[0-9a-f]{16}-.+$")
_in_progress: set = set()  # this process's temporaries being written right now (threads)
_lock = threading.Lock()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but belongs to someone else (or cannot be asked): keep its file
    return True


def remove_stale_temporaries(directory) -> list:
    """Delete the temporary files that interrupted writes left in ``directory``.

    Only files with this module's naming pattern whose writer process is gone are removed
    (a write in progress, in this or another process, is never touched). Returns the paths
    removed.
    """
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY_NAME.match(name)
        if match is None:
            continue
        path = os.path.join(directory, name)
        pid = int(match.group(1))
        with _lock:
            busy = path in _in_progress
        if busy or (pid != os.getpid() and _process_alive(pid)):
            continue
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass  # already gone, or not ours to remove
    return removed


def _fsync_file(path: str) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_directory(directory: str) -> None:
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # some systems (Windows) cannot open folders; the rename is still atomic
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def file_path(path, who: str) -> str:
    """``path`` as a string, refusing what cannot name a file (None, a number, "")."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: expected a file path (a str or pathlib.Path), got "
                        f"{type(path).__name__}")
    path = os.fspath(path)
    if not path or path.endswith(os.sep):
        raise ValueError(f"{who}: {path!r} is not a file name; give one such as 'model.npz'")
    return path


def _target_folder(path: str, who: str) -> str:
    """The existing folder that will hold ``path``, or a ValueError saying what is wrong."""
    directory = Path(os.path.abspath(path)).parent
    if directory.is_dir():
        return str(directory)
    existing = next(folder for folder in (directory, *directory.parents) if folder.exists())
    problem = (f"{str(existing)!r} is a file, not a folder" if not existing.is_dir()
               else "does not exist; create it first, e.g. os.makedirs(folder, exist_ok=True)")
    raise ValueError(f"{who}: cannot write {path!r}: its folder {str(directory)!r} {problem}")


@contextmanager
def atomic_path(path, who: str = "save"):
    """A temporary path to write instead of ``path``; on success it replaces ``path``.

    For writers that want a file name rather than a stream (``model.save``, a picture
    renderer). The temporary name ends with the target's own name, so a writer that picks
    the format from the extension sees the same one. On an exception the temporary file is
    removed and ``path`` is untouched.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with atomic_path(target) as temporary:
    ...     _ = open(temporary, "w").write("done")
    >>> open(target).read()
    'done'
    """
    path = file_path(path, who)
    directory = _target_folder(path, who)
    remove_stale_temporaries(directory)
    temporary = os.path.join(directory, f"{_PREFIX}{os.getpid()}-{secrets.token_hex(8)}-"
                                        f"{os.path.basename(path)}")
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None  # a new file: os.open below applies the umask to 0o666
    with _lock:
        _in_progress.add(temporary)
    try:
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except PermissionError:
            raise PermissionError(f"{who}: cannot write into the folder {directory!r} "
                                  "(permission denied); choose a folder you can write to"
                                  ) from None
        try:
            yield temporary
            _fsync_file(temporary)
            if mode is not None:
                os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise
        _fsync_directory(directory)
    finally:
        with _lock:
            _in_progress.discard(temporary)


def atomic_write(path, write, who: str = "save") -> None:
    """Write a file atomically: ``write(stream)`` fills a temporary file (a binary stream)
    that then replaces ``path``. See :func:`atomic_path`.

    Raises:
        ValueError: the target's folder is missing or is a file.
        PermissionError: the folder cannot be written (the message names it).
    """
    with atomic_path(path, who) as temporary, open(temporary, "wb") as stream:
        write(stream)
