"""Writing a FHIR export folder: a Bundle per patient, NDJSON per resource type, a manifest.

```
OUT/manifest.json                  format, version, FHIR version, time, since, files
OUT/Patient.ndjson ...             one resource a line, one file per type (FHIR Bulk Data)
OUT/bundles/P-7K2M-QX4D.json       one transaction Bundle per patient (PUT each resource)
```
The folder is made 0700 and every file 0600: they hold decrypted health data. It is written
beside OUT under a temporary name and renamed into place only once complete, so that a
failure leaves nothing half-written. OUT must be new, an empty folder, or a previous carebot
FHIR export (which the new one then replaces whole); anything else is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import CarebotError
from bot.export import codes
from bot.export.fhir_gather import Gathered
from bot.export.fhir_resources import Resource

MANIFEST = "manifest.json"
BUNDLES = "bundles"


class ExportError(CarebotError):
    """The export cannot be written where it was asked; nothing was written."""


def check_out(out: Path) -> None:
    """Refuse, before anything is read or written, a destination the export may not use."""
    out = Path(os.path.abspath(out))  # `.` and `x/` name a folder too; symlinks not followed
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportError("--out must be a folder (a new one, an empty one, or a previous export)")
    if not out.parent.is_dir():
        raise ExportError("--out must be in a folder that exists")
    if out.is_dir() and any(out.iterdir()) and not _previous_export(out):
        raise ExportError(
            "--out holds files that are not a carebot FHIR export: give a new or empty folder"
        )


def _previous_export(out: Path) -> bool:
    """Whether `out` holds a carebot FHIR export and nothing else."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed = {f["path"] for f in manifest["files"]} | {MANIFEST}
        if manifest.get("format") != codes.FORMAT:
            return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() or p.is_symlink()}
    folders = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_dir()}
    return present <= listed and folders <= {BUNDLES}


def write_export(
    out: Path, gathered: Gathered, *, generated_at: datetime, since: datetime | None, texts: bool
) -> dict[str, Any]:
    """Write the export to `out` (see the module's docstring); the manifest, as written."""
    check_out(out)
    out = Path(os.path.abspath(out))
    try:
        return _write_export(out, gathered, generated_at=generated_at, since=since, texts=texts)
    except OSError as exc:  # a full disk, a folder not ours: its reason, never a path's data
        raise ExportError(
            f"cannot write the export: {exc.strerror or type(exc).__name__}"
        ) from None


def _write_export(
    out: Path, gathered: Gathered, *, generated_at: datetime, since: datetime | None, texts: bool
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))  # made 0700
    try:
        files = _write_files(work, gathered)
        manifest = {
            "format": codes.FORMAT,
            "version": codes.VERSION,
            "fhir_version": codes.FHIR_VERSION,
            "generated_at": generated_at.isoformat(),
            "since": since.isoformat() if since is not None else None,
            "reply_texts": texts,
            "patients": len(gathered.by_patient),
            "counts": gathered.counts(),
            "files": files,
        }
        _write(work / MANIFEST, json.dumps(manifest, indent=2) + "\n", sync=True)
        _put_in_place(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _write_files(work: Path, gathered: Gathered) -> list[dict[str, Any]]:
    """The NDJSON files and the bundles; their manifest entries."""
    files: list[dict[str, Any]] = []
    by_type: dict[str, list[Resource]] = defaultdict(list)
    for resources in gathered.by_patient.values():
        for resource in resources:
            by_type[resource["resourceType"]].append(resource)
    for kind in sorted(by_type):
        lines = "".join(_line(resource) + "\n" for resource in by_type[kind])
        files.append(
            _entry(
                f"{kind}.ndjson", kind, len(by_type[kind]), _write(work / f"{kind}.ndjson", lines)
            )
        )
    (work / BUNDLES).mkdir(mode=0o700)
    for pseudonym, resources in gathered.by_patient.items():
        path = f"{BUNDLES}/{pseudonym}.json"
        text = _line(bundle(resources)) + "\n"  # compact: the C encoder, 10 times faster
        entry = _entry(path, "Bundle", len(resources), _write(work / path, text))
        files.append({**entry, "patient": pseudonym})
    return files


def bundle(resources: list[Resource]) -> Resource:
    """One patient's resources as a transaction Bundle: each a PUT of its own id, so that a
    FHIR server given it twice keeps one copy of each."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
            for resource in resources
        ],
    }


def _line(resource: Resource) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def _entry(path: str, kind: str, count: int, digest: str) -> dict[str, Any]:
    return {"path": path, "type": kind, "count": count, "sha256": digest}


def _write(path: Path, text: str, *, sync: bool = False) -> str:
    """Write a file created 0600; its SHA-256. Only the manifest is synced to disk: after
    a power cut, a data file that did not reach the disk no longer matches its hash."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
    return hashlib.sha256(data).hexdigest()


def _put_in_place(work: Path, out: Path) -> None:
    """Rename the finished export to `out`; a previous export there is set aside first and
    removed once the new one is in place."""
    old: Path | None = None
    if out.is_dir():
        if any(out.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "export")
        else:
            out.rmdir()
    try:
        os.replace(work, out)
    except OSError:
        if old is not None:  # the previous export goes back where it was
            os.replace(old / "export", out)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
