"""Rendering message templates: sandboxed Jinja2 with StrictUndefined.

Templates come from program files that nurses edit, so they run in Jinja2's sandbox and may
use only the variables listed here; a missing one is an error, never an empty string in a
patient's message.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

if TYPE_CHECKING:
    from bot.programs.model import Program

ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

VARIABLES: dict[str, str] = {
    "name": "the name the patient wants to be greeted by",
    "week": "the week of the program, from 1",
    "emergency_number": "the emergency number (112 in the EU)",
    "hospital": "the hospital's contact for questions",
    "program": "the program's name",
}

# The longest greeting name carebot accepts at enrolment; SMS length is checked with it.
MAX_NAME_LENGTH = 30


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A template source compiled once: compiling costs far more than rendering, and a
    dispatch cycle renders the same few sources for every patient."""
    return ENV.from_string(source)


def render_source(source: str, values: dict[str, object]) -> str:
    """Render one template source with the given values."""
    return _compiled(source).render(**values).strip()


def longest_sample(program: Program, *, emergency_number: str, hospital: str) -> dict[str, object]:
    """Values as long as carebot allows, to size a template for a channel's length check;
    the emergency number and hospital contact are the operator's settings, passed in."""
    return {
        "name": "W" * MAX_NAME_LENGTH,
        "week": 520,
        "emergency_number": emergency_number,
        "hospital": hospital,
        "program": program.name,
    }


def render_message(
    program: Program,
    *,
    channel: str,
    language: str,
    name: str,
    week: int,
    emergency_number: str,
    hospital: str,
) -> str:
    """The text of one reminder for one patient on one channel."""
    template = program.template_for(channel)
    source = template.text.get(language) or template.text[program.languages[0]]
    return render_source(
        source,
        {
            "name": name,
            "week": week,
            "emergency_number": emergency_number,
            "hospital": hospital,
            "program": program.name,
        },
    )
