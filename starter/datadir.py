"""The data dir holds every release's record, mail and the Temporal database: private to its user.

Whatever the umask, the folder is 0700 and the databases 0600. `up` and `worker` also set the
umask to 077, so what they and their children create there later (SQLite's -wal and -shm
files, logs, mail) is private too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from settings import Settings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def sqlite_store(settings: Settings) -> Path | None:
    """The store's SQLite file when it is the default one in the data dir."""
    prefix = "sqlite+aiosqlite:///"
    url = settings.database_url
    return Path(url.removeprefix(prefix)) if url.startswith(prefix) else None


def secure_data_dir(settings: Settings) -> Path:
    """Make the data dir 0700 and its databases 0600.

    The store's file is created empty here if missing (an empty file is a valid empty SQLite
    database), so it is never created with the umask's mode; the Temporal server must create
    its own (it takes an existing file for an initialised database), under `private_umask`.
    SQLite gives its -wal and -shm files the database file's mode.
    """
    data_dir = settings.data_dir
    data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    data_dir.chmod(PRIVATE_DIR)
    store = sqlite_store(settings)
    if store is not None and store.parent == data_dir:
        os.close(os.open(store, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    for db in (settings.temporal_db, store):
        if db is None or db.parent != data_dir:
            continue
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")):
            with contextlib.suppress(FileNotFoundError):
                path.chmod(PRIVATE_FILE)
    for name in ("temporal.log", "temporal.pid", "contacts.yaml"):
        with contextlib.suppress(FileNotFoundError):
            (data_dir / name).chmod(PRIVATE_FILE)
    return data_dir


def private_umask() -> None:
    """Files this process (and its children) create from now on are for its user only."""
    os.umask(PRIVATE_UMASK)
