"""The keyed audit log: every action appends an event that names ids, never people.

Appending is one INSERT in the caller's transaction, with no lock and no read-back, so that
any number of senders append at once; an event's `id` is only the order it was appended in
(on PostgreSQL ids are handed out at INSERT and commit out of order, and a rollback leaves a
gap). The sealer (`seal_pending`, run at the end of every tick and by `carebot audit seal`),
one at a time, then takes the committed events not sealed yet in append order, gives each
its `seq`, the next place in the chain, and its hash: an HMAC-SHA256, under the audit key
(see crypto.audit_keys), of the previous event's hash and the event itself. Editing,
deleting or reordering sealed events breaks the chain from there on (`verify`), and whoever
can write to the store without holding the master key cannot compute the hashes again. An
event not sealed yet carries a keyed tag given at append (see audit_tags): the sealer seals
only events whose tag matches and that are no copy of another, marks the others refused
(never read again), and `verify` names them; deleting an event not sealed yet is unseen
(nothing kept elsewhere says it existed; the seal interval bounds that window), and
`verify` reports how many wait and the oldest one's time. Cutting events from the end
leaves a consistent chain: it is caught with a head kept elsewhere (`head_token`,
`verify --head`; see audit_heads).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import text, update
from sqlmodel import Session, col, func, select

from bot.store import audit_heads, audit_tags
from bot.store.audit_heads import GENESIS, ChainCheck
from bot.store.crypto import AuditKeys
from bot.store.models import AuditEvent

__all__ = ["GENESIS", "ChainCheck"]  # with the functions below

KEYS = "carebot.audit.keys"  # session.info: the store's audit keys (set by Store.session)
_LOCK = 7160  # the PostgreSQL advisory lock of the chain's one sealer
_BATCH = 1000  # events sealed per read and per UPDATE
log = logging.getLogger("carebot.audit")


def payload(
    *, seq: int, at: datetime, actor: str, action: str, subject: str | None, detail: str
) -> str:
    """What an event's hash covers besides the previous hash (times as UTC; stored naive)."""
    when = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return json.dumps(
        [seq, when.isoformat(), actor, action, subject, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    )


def seal(key: bytes, prev_hash: str, event_payload: str) -> str:
    """One link of the chain: the HMAC of the previous hash and this event."""
    return hmac.new(key, f"{prev_hash}{event_payload}".encode(), hashlib.sha256).hexdigest()


def event_payload(event: AuditEvent) -> str:
    """The payload of a stored event."""
    return payload(
        seq=event.seq or 0,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        detail=event.detail,
    )


def keys_of(session: Session) -> AuditKeys:
    """The audit keys of the store this session belongs to."""
    provider: Callable[[Session], AuditKeys] | None = session.info.get(KEYS)
    if provider is None:
        raise RuntimeError("audit events need a session of Store.session()")
    return provider(session)


def _lock(session: Session, *, wait: bool) -> bool:
    """Make this transaction the chain's one sealer (SQLite's write lock already is);
    False if another holds it and `wait` is False."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # Store.session began with BEGIN IMMEDIATE: no other writer now
    if wait:
        session.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
        return True
    return bool(session.execute(text(f"SELECT pg_try_advisory_xact_lock({_LOCK})")).scalar())


def lock_chain(session: Session) -> None:
    """Wait to be the chain's one sealer until this transaction ends (also taken by the
    one-time work that must not run twice at once: making the audit key, sealing old data)."""
    _lock(session, wait=True)


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    subject: str | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits or rolls back with it).

    One INSERT, flushed with the caller's other writes: no lock, no read of other events.
    The event is sealed into the chain later (`seal_pending`). `detail` takes ids,
    statuses, counts and channel names only: never a name, address, reference or message
    text.
    """
    keys = keys_of(session)  # the store's first event makes the audit key, in this transaction
    event = AuditEvent(
        at=at or datetime.now(UTC),
        actor=str(actor),  # tagged as it is stored
        action=str(action),
        subject=None if subject is None else str(subject),
        detail=json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str),
    )
    event.tag = audit_tags.of_event(keys.event, event)  # one HMAC: no lock, no read
    session.add(event)
    return event


def seal_pending(
    session: Session, *, wait: bool = True, limit: int | None = None, warn: bool = True
) -> int:
    """Seal the committed events not sealed yet, in append order, in this transaction;
    how many (at most `limit`). 0 at once if another sealer is at work and not `wait`.

    An event whose append tag is missing or wrong, or that is a copy of another (the same
    tag and fields), is never sealed: it is marked refused (so that no later seal reads it
    again), logged (by id, one line per seal, unless not `warn`), and named by `verify`."""
    if not _lock(session, wait=wait):
        return 0
    seq, prev_hash = _last_sealed(session)  # read after the lock: the last sealer's work
    keys, sealed, after, refused = keys_of(session), 0, 0, []
    seen: set[tuple[Any, ...]] = set()  # the genuine events read so far: a copy's original
    while limit is None or sealed < limit:
        size = _BATCH if limit is None else min(_BATCH, limit - sealed)
        rows = session.execute(
            sa_select(*audit_tags.COLUMNS)  # neither sealed nor refused: the waiting index
            .where(
                col(AuditEvent.seq).is_(None),
                col(AuditEvent.refused).is_(None),
                col(AuditEvent.id) > after,
            )
            .order_by(col(AuditEvent.id))
            .limit(size)
        ).all()
        verdicts = audit_tags.judge(session, keys.event, rows, seen)
        changes, marks = [], []
        for event_id, at, actor, action, subject, detail, _tag in rows:
            if (why := verdicts[event_id]) is not None:
                refused.append(event_id)
                marks.append({"id": event_id, "refused": why})
                continue
            seq += 1
            body = payload(
                seq=seq, at=at, actor=actor, action=action, subject=subject, detail=detail
            )
            digest = seal(keys.chain, prev_hash, body)
            changes.append({"id": event_id, "seq": seq, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
        if marks:  # never read again by a seal; `verify` still names them
            session.execute(update(AuditEvent), marks)
        if changes:
            session.execute(update(AuditEvent), changes)  # by primary key, one executemany
        sealed += len(changes)
        if len(rows) < size:
            break
        after = rows[-1][0]  # past the events refused, which stay unsealed
    if refused and warn:  # one line per seal, however many: ids only
        log.warning("audit: %s; left unsealed", audit_tags.describe(refused))
    _expire_events(session)
    return sealed


def _expire_events(session: Session) -> None:
    """The events this session holds were sealed behind its back: read them again."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditEvent):
            session.expire(obj)


def seal_all(
    open_session: Callable[[], AbstractContextManager[Session]],
    *,
    wait: bool = True,
    per_transaction: int = 10_000,
    warn: bool = True,
) -> int:
    """Seal every event waiting, `per_transaction` at a time in transactions of their own
    (so that a long backlog never holds SQLite's write lock for long); how many."""
    total = 0
    while True:
        with open_session() as session:
            sealed = seal_pending(session, wait=wait, limit=per_transaction, warn=warn)
        total += sealed
        if sealed < per_transaction:
            return total


def unsealed(session: Session) -> tuple[int, datetime | None]:
    """How many events wait to be sealed, and the time of the oldest."""
    count, oldest = session.exec(
        select(func.count(), func.min(AuditEvent.at)).where(col(AuditEvent.seq).is_(None))
    ).one()
    return int(count), oldest


def iter_events(session: Session, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every sealed event in chain order, a batch at a time."""
    after = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > after)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq or after


def newest(session: Session, limit: int) -> list[AuditEvent]:
    """The newest `limit` events, oldest first: sealed ones in chain order, then those not
    sealed yet in append order."""
    waiting = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.seq).is_(None))
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    sealed = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.seq).is_not(None))
        .order_by(col(AuditEvent.seq).desc())
        .limit(max(limit - len(waiting), 0))
    ).all()
    return [*reversed(sealed), *reversed(waiting)]


def _last_sealed(session: Session) -> tuple[int, str]:
    last = session.exec(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(col(AuditEvent.seq).is_not(None))
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    return (last[0] or 0, last[1] or GENESIS) if last else (0, GENESIS)


def head_token(session: Session) -> tuple[int, str]:
    """The newest sealed event's seq and its head token `SEQ:HASH:TAG`, to keep elsewhere."""
    seq, digest = _last_sealed(session)
    return seq, f"{seq}:{digest}:{audit_heads.tag(keys_of(session), seq, digest)}"


def head(session: Session) -> str:
    """The newest sealed event's hash (the genesis value for an empty chain)."""
    return _last_sealed(session)[1]


def verify(session: Session, *, head: str | None = None) -> ChainCheck:
    """Recompute the keyed chain of sealed events (and their append tags where they have
    one), count those not sealed yet and name those of them whose tag is missing or wrong;
    with `head` (a token or a bare hash), also check that the chain still holds it."""
    keys = keys_of(session)
    wanted = None if head is None else audit_heads.parse(keys, head)
    waiting, oldest = unsealed(session)
    refused = tuple(audit_tags.refused(session, keys.event)) if waiting else ()
    walked = _walk(session, keys, wanted)
    if isinstance(walked, ChainCheck):
        verdict = walked
    elif wanted is None:
        verdict = ChainCheck(walked[0])
    else:
        verdict = audit_heads.judge(walked[0], wanted, walked[1])
    return replace(verdict, unsealed=waiting, oldest_unsealed=oldest, refused=refused)


def _walk(
    session: Session, keys: AuditKeys, wanted: tuple[int | None, str, bool] | None
) -> ChainCheck | tuple[int, tuple[int, str] | None]:
    """The first broken event, or (events checked, seq and hash of the head wanted)."""
    key = keys.chain
    prev_hash, expected_seq, checked, at_wanted = GENESIS, 1, 0, None
    for event in iter_events(session):
        if event.seq != expected_seq:
            return ChainCheck(checked, expected_seq, "event missing from the chain")
        if event.prev_hash != prev_hash or event.hash != seal(key, prev_hash, event_payload(event)):
            return ChainCheck(checked, event.seq, "hash does not match the event")
        if event.tag is not None and not audit_tags.holds(keys.event, event):
            return ChainCheck(checked, event.seq, f"the event {audit_tags.REFUSED}")
        if wanted is not None and (
            event.seq == wanted[0] or (wanted[0] is None and event.hash == wanted[1])
        ):
            at_wanted = (expected_seq, event.hash or "")
        prev_hash, expected_seq, checked = event.hash or "", expected_seq + 1, checked + 1
    return checked, at_wanted
