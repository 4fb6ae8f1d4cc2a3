"""Store faults said plainly: a full disk, a read-only one, a lock held, not a carebot store.

One place maps what the drivers report to one line that names the store's path (never a
query or a value), from their error codes: SQLite's result codes (as sqlcipher3 gives them,
`sqlite_errorcode`), PostgreSQL's SQLSTATE (as psycopg gives them, `sqlstate`), and the
operating system's errno where carebot touches the files itself. Message text is not read.

The engine turns such a driver error into a `StoreFault` as it is raised (`install`), so that
every caller, the CLI's one-line refusal and the dispatch cycle's stop alike, sees the same
plain reason. Other errors (a constraint, a bug) pass through untouched.
"""

from __future__ import annotations

import errno
import os
import urllib.parse
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from bot.errors import CarebotError


class Fault(StrEnum):
    FULL = "full"
    READ_ONLY = "read-only"
    LOCKED = "locked"
    NOT_A_STORE = "not a store"
    UNREACHABLE = "unreachable"
    IO = "i/o"  # SQLite's disk I/O error: a full or read-only disk is told by statvfs


class StoreFault(CarebotError):
    """The store cannot do what was asked, for a reason of the disk, a lock or the file."""

    def __init__(self, fault: Fault, message: str, *, head: str | None = None) -> None:
        super().__init__(message)
        self.fault = fault
        self.head = head or message  # what is wrong and where, without the advice

    def stopped(self, left: int | None) -> StoreFault:
        """The one line for a dispatch cycle that this fault stopped, `left` reminders claimed
        and unsent (None: before it claimed any)."""
        what = "nothing sent" if left is None else f"{left} reminders left for the next tick"
        return StoreFault(self.fault, f"{self.head}: cycle stopped, {what}", head=self.head)


# SQLite primary result codes (the low byte of an extended code)
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 13, 14, 26
SQLITE_IOERR_SHMSIZE = SQLITE_IOERR | (19 << 8)  # the -shm could not grow: its disk is full
WAL_WRITE_LOCK = 120  # the byte of a WAL store's -shm that its one writer locks

_SQLITE = {
    SQLITE_FULL: Fault.FULL,
    SQLITE_IOERR_SHMSIZE: Fault.FULL,
    SQLITE_READONLY: Fault.READ_ONLY,
    SQLITE_PERM: Fault.READ_ONLY,
    SQLITE_BUSY: Fault.LOCKED,
    SQLITE_LOCKED: Fault.LOCKED,
    SQLITE_NOTADB: Fault.NOT_A_STORE,
    SQLITE_CANTOPEN: Fault.UNREACHABLE,
    SQLITE_IOERR: Fault.IO,
}
_POSTGRES = {
    "53100": Fault.FULL,  # disk_full
    "25006": Fault.READ_ONLY,  # read_only_sql_transaction (a standby, or read-only by setting)
    "55P03": Fault.LOCKED,  # lock_not_available
    "3D000": Fault.NOT_A_STORE,  # invalid_catalog_name: no such database
    "42P01": Fault.NOT_A_STORE,  # undefined_table: a database that is not carebot's
}
_ERRNO = {errno.ENOSPC: Fault.FULL, errno.EDQUOT: Fault.FULL, errno.EROFS: Fault.READ_ONLY}


def classify(exc: BaseException) -> Fault | None:
    """The kind of store fault a driver or OS error is, by its code; None if it is none."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy's DBAPIError wraps the driver's
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE.get(code) or _SQLITE.get(code & 0xFF)
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        if state.startswith("08"):  # connection exceptions
            return Fault.UNREACHABLE
        return _POSTGRES.get(state)
    if isinstance(orig, OSError) and orig.errno is not None:
        return _ERRNO.get(orig.errno)
    return None


def explain(fault: Fault, where: str, *, sqlite_file: Path | None = None) -> tuple[str, str]:
    """What is wrong with the store at `where` (a path, or a server's name), and advice."""
    if fault is Fault.FULL:
        return f"the store is full ({where})", "free some disk space"
    if fault is Fault.READ_ONLY:
        return f"the store is read-only ({where})", "only reading commands can run"
    if fault is Fault.LOCKED:
        holders = lock_holders(sqlite_file) if sqlite_file is not None else []
        who = f"by PID {', '.join(map(str, holders))}" if holders else "by another process"
        return f"the store is locked {who} ({where})", "try again when it is done"
    if fault is Fault.IO:
        return f"the store's disk failed to read or write ({where})", "check the disk"
    if fault is Fault.NOT_A_STORE:
        return f"not a carebot store, or the wrong master key ({where})", "check the settings"
    return f"the store cannot be opened or reached ({where})", "check the path or the server"


def disk_state(path: Path) -> Fault | None:
    """FULL or READ_ONLY if the file system holding `path` is so (statvfs), else None: a
    disk I/O error from SQLite (its -shm that cannot grow, a write cut short) says no more."""
    try:
        vfs = os.statvfs(path.parent)
    except OSError:
        return None
    if vfs.f_flag & os.ST_RDONLY:
        return Fault.READ_ONLY
    if vfs.f_bavail * vfs.f_frsize < 64 * 1024:  # less than a few pages left
        return Fault.FULL
    return None


def fault_of(exc: BaseException, where: str, *, sqlite_file: Path | None = None) -> StoreFault:
    """A StoreFault for `exc`, which `classify` recognised."""
    fault = classify(exc)
    assert fault is not None
    if fault is Fault.IO:
        fault = (disk_state(sqlite_file) if sqlite_file else None) or Fault.IO
    head, advice = explain(fault, where, sqlite_file=sqlite_file)
    return StoreFault(fault, f"{head}: {advice}", head=head)


def lock_holders(db_file: Path) -> list[int]:
    """The other processes that hold the store's write lock, from the kernel's lock table
    (/proc/locks, Linux): SQLite locks byte 120 of a WAL store's -shm file for its one
    writer. Empty where that table cannot be read."""
    try:
        shm = os.stat(f"{db_file}-shm")
        with open("/proc/locks", encoding="ascii") as table:
            lines = table.read().splitlines()
    except OSError:
        return []
    device = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    holders = set()
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a process waiting for a lock, not holding it
            continue
        if len(fields) >= 8 and fields[3] == "WRITE" and fields[5] == device:
            if fields[6] == str(WAL_WRITE_LOCK) and int(fields[4]) != os.getpid():
                holders.add(int(fields[4]))
    return sorted(holders)


def where(engine: Engine) -> tuple[str, Path | None]:
    """How a line names the store (a file's path, or a server's host and database), and the
    SQLite file if it is one."""
    url = engine.url
    if engine.dialect.name == "sqlite":
        path = Path(urllib.parse.unquote(str(url.database).removeprefix("file:")))
        return str(path), path
    return f"{url.host or 'localhost'}/{url.database}", None


def install(engine: Engine) -> None:
    """Raise a StoreFault in place of a driver error that is one (SQLAlchemy's handle_error)."""
    name, sqlite_file = where(engine)

    def translate(context: ExceptionContext) -> Any:
        if classify(context.original_exception) is None:
            return None
        return fault_of(context.original_exception, name, sqlite_file=sqlite_file)

    event.listen(engine, "handle_error", translate)
