"""The `patient` group: the commands of patient_cmd, with those kept in modules of their own
(`edit`, `end` and `find` in patient_edit_cmd, `import` in patient_import_cmd) added to it."""

from __future__ import annotations

from bot.cli import patient_edit_cmd, patient_import_cmd
from bot.cli.patient_cmd import app

patient_edit_cmd.register(app)
patient_import_cmd.register(app)

__all__ = ["app"]
