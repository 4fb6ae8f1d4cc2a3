"""Characters that must never reach a terminal, a spreadsheet or a log as they are.

A patient's text (a reply, a greeting name) and whatever a store holds are data. Control
characters (C0, DEL, C1: ESC starts the sequences that clear a screen or set a window title)
and Unicode format characters (bidi overrides and isolates, zero-width characters, which make
text read differently from what it is) are shown as visible escapes such as `\\x1b` or
`\\u202e`, never interpreted. Everything else is left as it is, accents and emoji included.
"""

from __future__ import annotations

import unicodedata

# Categories never shown raw: Cc (C0, DEL, C1), Cf (bidi, zero-width, soft hyphen, tags),
# Cs (lone surrogates, which cannot even be encoded) and the line and paragraph separators
# (Zl, Zp), which some terminals and editors break lines at.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# Short escapes for the three controls people know by sight.
_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def is_unsafe(char: str) -> bool:
    """Whether this one character is a control, format or separator character."""
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def has_unsafe(text: str) -> bool:
    """Whether the text holds any character `visible` would escape."""
    # str.isprintable is False for every unsafe category (and for a few safe ones, such as a
    # no-break space): a fast answer for the usual text, the exact test for the rest.
    return not text.isprintable() and any(is_unsafe(c) for c in text)


def escape_char(char: str) -> str:
    """`\\n`, `\\t`, `\\r`; else `\\x1b` below U+0100, `\\u202e` in the BMP, `\\U000e0001`
    above."""
    if char in _SHORT:
        return _SHORT[char]
    cp = ord(char)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def visible(text: str) -> str:
    """The text with every unsafe character replaced by its visible escape.

    Backslashes are left as they are: a patient who types `\\x1b` is shown `\\x1b`, which is
    what they typed; nothing is ever interpreted either way.
    """
    if not has_unsafe(text):
        return text
    return "".join(escape_char(c) if is_unsafe(c) else c for c in text)
