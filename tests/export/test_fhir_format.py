"""The FHIR export's format is what docs/formats/fhir-v1.md says, no more and no less: its
resource types, each type's top-level elements and the code systems it uses. A change to
the export that the page does not describe fails here; so does the page's recipe for
mapping a pseudonym back, if it stopped giving carebot's pseudonyms."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.channels import registry
from bot.export.codes import CHANNEL
from bot.export.fhir_resources import medium
from bot.store import crypto
from tests.conftest import Cli
from tests.export.fhir_check import read_export
from tests.export.fhir_sim import REF, enrol, ok, simulate

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats" / "fhir-v1.md"


def documented() -> dict[str, set[str]]:
    """Each resource type's elements, from the first column of the tables under its
    `### Type` (or `### Type: ...`) heading."""
    elements: dict[str, set[str]] = defaultdict(set)
    kind = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"### (\w+)", line)
        if heading:
            kind = heading.group(1)
        elif line.startswith("## "):
            kind = None
        elif kind and line.startswith("| `"):
            first = line.split("|")[1]
            elements[kind].update(re.findall(r"`([A-Za-z]+)`", first))
    return dict(elements)


def _systems(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "system" and isinstance(inner, str):
                yield inner
            else:
                yield from _systems(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _systems(inner)


def test_the_export_emits_exactly_the_documented_types_elements_and_systems(cli: Cli) -> None:
    ward = simulate(cli)
    ok(cli, "export", "fhir", "--out", "out")
    found = read_export(cli.cwd / "out")
    bundle = json.loads((cli.cwd / "out" / "bundles" / f"{ward.one}.json").read_text())
    emitted: dict[str, set[str]] = defaultdict(set)
    for resources in [*found.values(), [bundle]]:
        for resource in resources:
            emitted[resource["resourceType"]].update(resource)
    doc = documented()
    assert set(emitted) == set(doc)
    for kind, elements in emitted.items():
        assert elements == doc[kind], (kind, elements ^ doc[kind])
    text = DOC.read_text(encoding="utf-8")
    undocumented = {s for s in _systems([*found.values(), bundle]) if f"`{s}`" not in text}
    assert not undocumented


def test_the_documented_recipe_maps_a_reference_to_its_pseudonym(cli: Cli) -> None:
    source = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert source is not None
    scope: dict[str, Any] = {}
    exec(source.group(1), scope)  # the page's own code, as the hospital would run it
    secret = cli.env["CAREBOT_PSEUDONYM_SECRET"]
    enrolled = enrol(cli, REF, "Jan", None)
    assert scope["pseudonym"](secret, f"  {REF.lower()} ") == enrolled
    keys = crypto.Keys(
        master=crypto.new_key(), pseudonym_secret=crypto.decode_key(secret, what="s")
    )
    for ref in ("123456", "AZ-9", "ré-77"):
        for attempt in (0, 1):
            assert scope["pseudonym"](secret, ref, attempt) == keys.pseudonym(ref, attempt=attempt)


def test_each_channel_declares_its_medium_and_the_page_names_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    modes = {name: registry.kind(name).participation_mode[0] for name in registry.NAMES}
    assert modes == {
        "console": "ELECTRONIC",
        "sms": "SMSWRIT",
        "telegram": "ONLINEWRIT",
        "voice": "PHONE",
        "whatsapp": "ONLINEWRIT",
        "x": "ONLINEWRIT",
    }
    for name, mode in modes.items():
        assert f"`{mode}`" in text
        coding = medium(name)[0]["coding"]
        assert coding[0]["code"] == mode and coding[1] == {"system": CHANNEL, "code": name}
    assert medium("pigeon")[0]["coding"][0]["code"] == "ELECTRONIC"  # a channel since removed
