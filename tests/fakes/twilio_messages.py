"""The fake Twilio's messages: the Message resource it returns, and the list filters and pages.

Twilio's list look-up is what reconciliation relies on after an ambiguous send: messages to a
recipient, sent in a time window, newest first, in pages that the SDK follows by
`next_page_uri`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

API_VERSION = "2010-04-01"


@dataclass
class Sms:
    """One message the fake accepted."""

    sid: str
    account_sid: str
    to: str
    body: str
    date_created: datetime
    from_: str | None = None
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    status: str = "queued"
    params: dict[str, str] = field(default_factory=dict)

    def resource(self) -> dict[str, Any]:
        """The Message resource as the API returns it."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        stamp = format_datetime(self.date_created, usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": stamp,
            "date_sent": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "to": self.to,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "uri": f"{uri}.json",
        }


def matches(sms: Sms, query: Mapping[str, str]) -> bool:
    """Whether `sms` passes the list filters `To`, `From`, `DateSent`, `DateSent<`, `DateSent>`.

    `DateSent>` means on or after, `DateSent<` on or before; a bare date covers its whole day.
    """
    if query.get("To") not in (None, sms.to) or query.get("From") not in (None, sms.from_):
        return False
    sent = sms.date_created
    after, before, on = query.get("DateSent>"), query.get("DateSent<"), query.get("DateSent")
    if after is not None and sent < _parse_date(after):
        return False
    if before is not None and sent > _parse_date(before, end_of_day=True):
        return False
    return on is None or sent.date() == _parse_date(on).date()


def _parse_date(value: str, *, end_of_day: bool = False) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end_of_day and len(value) == 10:  # a bare date: the whole day counts
        parsed += timedelta(days=1, microseconds=-1)
    return parsed


def list_page(found: list[Sms], query: Mapping[str, str], path: str) -> dict[str, Any]:
    """One page of a list answer (`PageSize`, `Page`), with Twilio's paging fields."""
    size, page = int(query.get("PageSize", "50")), int(query.get("Page", "0"))
    chunk = found[page * size : (page + 1) * size]
    following = {**dict(query.items()), "Page": str(page + 1), "PageToken": f"PA{page + 1}"}
    more = len(found) > (page + 1) * size
    return {
        "messages": [sms.resource() for sms in chunk],
        "start": page * size,
        "end": page * size + max(len(chunk) - 1, 0),
        "page": page,
        "page_size": size,
        "uri": path,
        "first_page_uri": f"{path}?PageSize={size}&Page=0",
        "previous_page_uri": None,
        "next_page_uri": f"{path}?{urlencode(following)}" if more else None,
    }
