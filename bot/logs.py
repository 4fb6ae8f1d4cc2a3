"""Logging with a filter that redacts what could identify a patient.

carebot's own code never logs personal data; this filter is the second line of defence for
what libraries log (an SDK's debug line with a phone number, a token in a URL).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.text import visible

PATTERNS = [
    (re.compile(r"\+?\d[\d ()./-]{6,}\d"), "[number]"),  # phone numbers, chat ids
    (re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}"), "bot[token]"),  # Telegram token in a URL
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), "[token]"),  # and on its own
    (re.compile(r"(?i)(token|secret|key|password|auth)([\"'=: ]+)[^\s\"'&,]+"), r"\1\2[redacted]"),
    (re.compile(r"AC[0-9a-f]{32}"), "AC[sid]"),
]


def _visible_lines(text: str) -> str:
    """Each line with its control and bidi characters made visible (a log line could quote
    what a library received: an escape sequence must not reach the operator's terminal)."""
    return "\n".join(visible(line) for line in text.split("\n"))


def redact(text: str) -> str:
    """The text with numbers, tokens and secrets replaced."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record's message through `redact` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _visible_lines(redact(record.getMessage()))
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts tracebacks and stacks too: an SDK's exception message can carry a token."""

    def formatException(self, ei: Any) -> str:  # noqa: N802  (logging's own name)
        return _visible_lines(redact(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _visible_lines(redact(super().formatStack(stack_info)))


OWN_LOGGERS = ("carebot", "uvicorn")


def setup_logging(level: str) -> None:
    """Log to stderr at `level`, every handler behind the redacting filter."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Libraries stay at WARNING whatever carebot's own level is: a provider's SDK (and the
    # HTTP clients under it) logs request bodies, message texts and phone numbers, at DEBUG
    # or INFO, and a channel added later brings an SDK this module cannot list. Only carebot's
    # own loggers follow the setting, and uvicorn's (`carebot serve` / `run` log through
    # these same handlers: it is given no config), which log no bodies.
    wanted = level.upper() if level.upper() in logging.getLevelNamesMapping() else "WARNING"
    root.setLevel(logging.WARNING)
    for own in OWN_LOGGERS:
        logging.getLogger(own).setLevel(wanted)
