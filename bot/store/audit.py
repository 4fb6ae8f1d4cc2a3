"""The keyed audit chain: every action appends an event that names ids, never people.

Each event's hash is an HMAC-SHA256, under the audit key (see crypto.audit_keys), of the
previous event's hash and the event itself. Editing, deleting or reordering events breaks
the chain from there on (`verify`), and whoever can write to the store without holding the
master key cannot compute the hashes again. Cutting events from the end leaves a consistent
chain: it is caught with a head kept elsewhere (`head_token`, `verify --head`), which carries
its event's seq and a keyed tag, so that a head cut from the end is told from one carebot
never gave out (a typo, or a forgery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.store.crypto import AuditKeys
from bot.store.models import AuditEvent

GENESIS = "0" * 64
KEYS = "carebot.audit.keys"  # session.info: the store's audit keys (set by Store.session)
# session.info: (innermost transaction, seq, hash) of its last event; a savepoint begun,
# released or rolled back since makes it stale, and the newest event is read back instead
_NEWEST = "carebot.audit.newest"
_TOKEN = re.compile(r"(\d{1,18}):([0-9a-f]{64}):([0-9a-f]{32})")


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


def _innermost(session: Session) -> object:
    """The transaction an event is appended in: the savepoint, if one is open."""
    return session.get_nested_transaction() or session.get_transaction()


def lock_chain(session: Session) -> None:
    """Make this transaction the chain's one writer (SQLite's write lock already is)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7160)"))


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

    `detail` takes ids, statuses, counts and channel names only: never a name, address,
    reference or message text.
    """
    newest = session.info.get(_NEWEST)
    if newest is not None and newest[0] is _innermost(session):
        # this transaction appended the newest event, and no other writer can have since
        # (it holds the chain's lock, or SQLite's write lock): no need to read it back
        seq, prev_hash = newest[1] + 1, newest[2]
    else:
        lock_chain(session)
        last = session.exec(
            select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)
        ).first()
        seq = (last.seq or 0) + 1 if last else 1
        prev_hash = last.hash if last else GENESIS
    key = keys_of(session).chain
    when = at or datetime.now(UTC)
    detail_json = json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)
    event = AuditEvent(
        seq=seq,
        at=when,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail_json,
        prev_hash=prev_hash,
        hash=seal(
            key,
            prev_hash,
            payload(
                seq=seq, at=when, actor=actor, action=action, subject=subject, detail=detail_json
            ),
        ),
    )
    session.add(event)
    session.flush()
    session.info[_NEWEST] = (_innermost(session), seq, event.hash)
    return event


def iter_events(session: Session, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event in order, a batch at a time."""
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


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: the count checked, the first broken event if any, and what
    became of the head given (None: no head given; found; unknown: not carebot's; cut)."""

    checked: int
    broken_seq: int | None = None
    reason: str | None = None
    head: str | None = None
    head_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and self.head in (None, "found")

    @property
    def head_found(self) -> bool | None:
        return None if self.head is None else self.head == "found"


def head_token(session: Session) -> tuple[int, str]:
    """The newest event's seq and its head token `SEQ:HASH:TAG`, to keep elsewhere."""
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    seq, digest = (last.seq or 0, last.hash) if last else (0, GENESIS)
    return seq, f"{seq}:{digest}:{_tag(keys_of(session), seq, digest)}"


def _tag(keys: AuditKeys, seq: int, digest: str) -> str:
    return hmac.new(keys.head, f"head:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()[:32]


def verify(session: Session, *, head: str | None = None) -> ChainCheck:
    """Recompute the keyed chain; with `head` (a token or a bare hash), also check that the
    chain still holds it."""
    key = keys_of(session).chain
    wanted = _parse_head(session, head)
    prev_hash, expected_seq, checked, at_wanted = GENESIS, 1, 0, None
    for event in iter_events(session):
        if event.seq != expected_seq:
            return ChainCheck(checked, expected_seq, "event missing from the chain")
        if event.prev_hash != prev_hash or event.hash != seal(key, prev_hash, event_payload(event)):
            return ChainCheck(checked, event.seq, "hash does not match the event")
        if wanted is not None and (
            event.seq == wanted[0] or (wanted[0] is None and event.hash == wanted[1])
        ):
            at_wanted = (event.seq, event.hash)
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if wanted is None:
        return ChainCheck(checked)
    return _judge_head(checked, wanted, at_wanted)


def _parse_head(session: Session, head: str | None) -> tuple[int | None, str, bool] | None:
    """(seq or None for a bare hash, hash, whether carebot gave it out) of a head."""
    if head is None:
        return None
    value = head.strip().lower()
    if (match := _TOKEN.fullmatch(value)) is not None:
        seq, digest = int(match.group(1)), match.group(2)
        genuine = hmac.compare_digest(match.group(3), _tag(keys_of(session), seq, digest))
        return seq, digest, genuine
    return None, value, False


def _judge_head(
    checked: int, wanted: tuple[int | None, str, bool], at_wanted: tuple[int, str] | None
) -> ChainCheck:
    seq, digest, genuine = wanted
    if seq is None:  # a bare hash: found, or unknown (a cut cannot be told from a typo)
        if at_wanted is not None or digest == GENESIS:
            return ChainCheck(checked, head="found", head_seq=at_wanted[0] if at_wanted else 0)
        return ChainCheck(
            checked,
            reason="this hash is not in the chain (a typo or a forged "
            "head; keep the SEQ:HASH:TAG line of `audit head` to tell a cut)",
            head="unknown",
        )
    if not genuine:
        return ChainCheck(
            checked,
            reason="this head is not one carebot gave out for this audit "
            "log (a typo or a forged head)",
            head="unknown",
        )
    if seq == 0 or (at_wanted is not None and at_wanted[1] == digest):
        return ChainCheck(checked, head="found", head_seq=seq)
    if at_wanted is None:
        return ChainCheck(
            checked,
            reason=f"the head kept is event {seq}, the chain now ends at event {checked}",
            head="cut",
            head_seq=seq,
        )
    return ChainCheck(
        checked,
        reason=f"event {seq} is no longer the one this head was kept for: "
        "the events from there on were cut and others written since",
        head="cut",
        head_seq=seq,
    )


def head(session: Session) -> str:
    """The newest event's hash (the genesis value for an empty log)."""
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return last.hash if last else GENESIS
