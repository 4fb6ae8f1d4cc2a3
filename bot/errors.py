"""The one base of carebot's refusals, so that a caller tells them from failures at once.

A `CarebotError` is an operation carebot refused on purpose (a bad program file, an unknown
patient, a wrong key): its message is one line that names what was expected, never the
personal value that was refused, and it is safe to show as it is. The CLI prints it and exits
1; anything else is an unexpected failure and is shown only by its type.
"""

from __future__ import annotations


class CarebotError(Exception):
    """A refused operation, with a one-line reason free of personal data."""
