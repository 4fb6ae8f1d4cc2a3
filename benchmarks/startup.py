"""Start-up benchmark: how long the `carebot` command takes before it does anything.

    python benchmarks/startup.py [--runs 15] [--patients 1000] [--compare OTHER_CAREBOT]

Times the installed console script, each run a new process as cron or a nurse starts it:
`carebot --help`, and `carebot patient list` on a SQLCipher store of N patients (made by the
script in a temporary directory with `carebot init` and `carebot patient import`, consented on
SMS and Telegram, whose settings are present so that both channels are looked at). Prints the
median and the fastest run of each, and what the imports of `carebot --help` cost
(`python -X importtime`: the whole, and the packages that take longest).
Goals: `carebot --help` under 0.3 s, `carebot patient list` of 1,000 patients under 1 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAREBOT = str(Path(sys.executable).with_name("carebot"))
SETTINGS = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "0" * 32,
    "TWILIO_FROM": "+3278000000",
    "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
    "TELEGRAM_BOT_USERNAME": "carebot_bench_bot",
}


def _env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREBOT_", "TWILIO_"))}
    env.update(SETTINGS)
    env.update(
        {
            "CAREBOT_DATABASE_URL": f"sqlite:///{workdir / 'carebot.db'}",
            "CAREBOT_ACTOR": "bench",
            "COLUMNS": "120",
        }
    )
    return env


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def build_store(workdir: Path, env: dict[str, str], patients: int) -> None:
    """A store of `patients` patients, enrolled through `carebot patient import`."""
    _run([CAREBOT, "init"], cwd=workdir, env=env)
    rows = ["ref,program,lang,tz,name,sms,consent"]
    rows += [
        f"R-{i:06d},post-stroke-weekly,nl,Europe/Brussels,Patient {i},+3247{i:07d},sms;telegram"
        for i in range(patients)
    ]
    csv = workdir / "patients.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _run([CAREBOT, "patient", "import", str(csv)], cwd=workdir, env=env)


def timed(
    commands: list[list[str]], *, cwd: Path, env: dict[str, str], runs: int
) -> list[list[float]]:
    """Wall-clock seconds of `runs` runs of each command, each a new process; the commands
    take turns, so that a machine loaded by other work weighs on each alike."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for args, taken in zip(commands, times, strict=True):
            start = time.perf_counter()
            _run(args, cwd=cwd, env=env)
            taken.append(time.perf_counter() - start)
    return times


def import_costs(*, cwd: Path, env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """What `carebot --help` spends importing, by package (ms of import time of its own
    modules, so that the figures add up to the whole; `bot.*` by module)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", CAREBOT, "--help"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    costs: dict[str, float] = {}
    for match in re.finditer(r"^import time:\s+(\d+) \|\s+\d+ \| *([\w.]+)$", proc.stderr, re.M):
        parts = match.group(2).split(".")
        name = ".".join(parts[:2]) if parts[0] == "bot" else parts[0]
        costs[name] = costs.get(name, 0.0) + int(match.group(1)) / 1000
    total = sum(costs.values())
    return [("all", total), *sorted(costs.items(), key=lambda item: -item[1])[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--compare", help="another `carebot` (an older build) to time alike")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carebot-startup-") as tmp:
        workdir = Path(tmp)
        env = _env(workdir)
        started = time.perf_counter()
        build_store(workdir, env, options.patients)
        print(f"store of {options.patients} patients made in {time.perf_counter() - started:.0f} s")
        listed = _run([CAREBOT, "patient", "list"], cwd=workdir, env=env)
        assert listed.count("P-") >= options.patients, "patient list did not list them all"
        builds = [("", CAREBOT)] + ([(" (compared)", options.compare)] if options.compare else [])
        for label, args, goal in (
            ("carebot --help", ["--help"], 0.3),
            (f"carebot patient list ({options.patients})", ["patient", "list"], 1.0),
        ):
            commands = [[command, *args] for _, command in builds]
            for (suffix, _), times in zip(
                builds, timed(commands, cwd=workdir, env=env, runs=options.runs), strict=True
            ):
                median = statistics.median(times)
                met = "met" if median < goal else "not met"
                print(
                    f"{label}{suffix}: median {median:.3f} s, fastest {min(times):.3f} s, "
                    f"{options.runs} runs (goal < {goal} s: {met})"
                )
        costs = ", ".join(f"{name} {ms:.0f} ms" for name, ms in import_costs(cwd=workdir, env=env))
        print(f"import time of `carebot --help` (-X importtime, own modules' time): {costs}")


if __name__ == "__main__":
    main()
