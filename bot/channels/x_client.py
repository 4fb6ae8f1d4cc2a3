"""tweepy's side of the X channel: the client's redirect to `CAREBOT_X_API_URL` and the
mapping of its errors, imported by the first send (see bot/channels/lazy.py), so that a
command that only asks whether X is configured never imports the SDK."""

from __future__ import annotations

import time
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter
from tweepy import Client

from bot.channels.base import ChannelError, ErrorKind, transport_error

__all__ = ["Client", "RedirectAdapter", "map_error"]

TWITTER = "https://api.twitter.com"


class RedirectAdapter(HTTPAdapter):
    """Sends what tweepy addresses to api.twitter.com to another base URL instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if request.url and request.url.startswith(TWITTER):
            request.url = self.base_url + request.url[len(TWITTER) :]
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )


# X's 403 problem types that concern the app, not the recipient: keys from an app that is not
# attached to a Project, an app without "Read and write and Direct message" permission, an
# app-only token. The next consented channel is tried (or the reminder retried within its
# grace), for an admin to fix; the patient's X contact stays usable.
ACCOUNT_PROBLEMS = {"client-forbidden", "oauth1-permissions", "unsupported-authentication"}


def _problem_type(exc: tweepy.HTTPException) -> str:
    """The last part of an X API v2 problem's `type` (".../2/problems/client-forbidden")."""
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    kind = body.get("type", "") if isinstance(body, dict) else ""
    return kind.rsplit("/", 1)[-1] if isinstance(kind, str) else ""


def map_error(exc: Exception) -> ChannelError:
    """One ChannelError for every way a tweepy call can fail. Never echoes the user id."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = exc.response.headers.get("x-rate-limit-reset")
        wait = max(float(reset) - time.time(), 1.0) if reset else 60.0
        return ChannelError("rate limited", retry_after=wait, code="429")
    if isinstance(exc, tweepy.Forbidden):
        if _problem_type(exc) in ACCOUNT_PROBLEMS:  # every DM would be refused alike
            return ChannelError(
                "the X app may not send direct messages: check its project"
                " and permissions in the developer portal",
                code="403",
                kind=ErrorKind.ACCOUNT_REFUSED,
            )
        # the patient does not accept DMs from us
        return ChannelError(
            "recipient does not accept direct messages", ErrorKind.UNREACHABLE, code="403"
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return ChannelError(
            "provider error", ErrorKind.AMBIGUOUS, code=str(exc.response.status_code)
        )
    if isinstance(exc, tweepy.HTTPException):
        return ChannelError("refused", code=str(exc.response.status_code))
    transport = transport_error(exc)
    if transport is not None:
        return transport
    raise exc
