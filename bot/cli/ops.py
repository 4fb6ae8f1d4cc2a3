"""Operating carebot: `init`, `tick`, `run`, `reply`, `demo` and `db upgrade`."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.channels import registry
from bot.cli.common import actor, console, fail, flag, parse_when, store
from bot.cli.errors import err_console
from bot.cli.output import say
from bot.config import get_settings
from bot.inbound.receive import receive
from bot.programs import catalog
from bot.runtime import run_forever, serve_in_background, tick
from bot.store import crypto, db, schema
from bot.store.keyring import load_keys

db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)


def _echo(pseudonym: str, body: str) -> None:
    """A console-channel message: the rendered text holds the patient's name, so it is data."""
    say(console, f"[console → {pseudonym}] ", body)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration (Alembic)."""
    settings = get_settings()
    engine = db.make_engine(settings.carebot_database_url, load_keys(settings).master)
    if db.is_sqlite(engine):
        db.check_key(engine)
    schema.upgrade(engine)
    say(console, "store is at the newest schema")


@db_app.command("purge")
def purge(
    wait: float = typer.Option(30.0, "--wait", min=0, help="seconds to wait for readers"),
) -> None:
    """Put erased rows' zeroed pages in the store file and empty its WAL (SQLite)."""
    from bot.patients.lifecycle import purge as purge_files

    if not purge_files(store(), wait_seconds=wait):
        fail("another process keeps a read transaction open: try again when it has finished")
    console.print("store files purged")


def init(
    key_file: Path = typer.Option(Path("carebot.key"), help="where to create the master key"),
) -> None:
    """Create the master key (mode 0600), the pseudonym secret, `.env` and the store."""
    env_path = Path(".env")
    settings = get_settings()
    lines: list[str] = []
    if settings.carebot_master_key is None and settings.carebot_key_file is None:
        if key_file.exists():
            fail(f"{key_file} exists but is not configured: set CAREBOT_KEY_FILE={key_file}")
        crypto.write_secret_file(key_file, crypto.encode_key(crypto.new_key()) + "\n")
        lines.append(f"CAREBOT_KEY_FILE={key_file.resolve()}")
    if settings.carebot_pseudonym_secret is None:
        lines.append(f"CAREBOT_PSEUDONYM_SECRET={crypto.encode_key(crypto.new_key())}")
    if "CAREBOT_DATABASE_URL" not in os.environ and not _env_has(env_path, "CAREBOT_DATABASE_URL"):
        lines.append(f"CAREBOT_DATABASE_URL={settings.carebot_database_url}")
    if lines:
        old = env_path.read_text(encoding="utf-8") if env_path.exists() else ""
        crypto.write_secret_file(env_path, old + "".join(f"{line}\n" for line in lines))
        get_settings.cache_clear()
    s = store()
    with s.session() as session:
        added = catalog.add_shipped(s, session, actor=actor())
    say(
        console,
        f"carebot is ready: store {get_settings().carebot_database_url}, "
        f"{len(added)} program(s) loaded",
    )


def _env_has(path: Path, name: str) -> bool:
    if not path.exists():
        return False
    return any(line.startswith(f"{name}=") for line in path.read_text(encoding="utf-8").split())


def tick_cmd(
    at: str | None = typer.Option(None, "--at", help="act as if the clock read this ISO time"),
    quiet: bool = flag("quiet", "do not print console messages"),
) -> None:
    """One planning + dispatch cycle, then exit (for cron or a systemd timer). Exit 3 when
    reminders were left planned for a consented channel this process has no settings for."""
    result = tick(store(), now=parse_when(at), echo=None if quiet else _echo, log_warnings=False)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(result.outcomes.items()))
    gap = f"; {result.unplanned} missed (carebot was not running)" if result.unplanned else ""
    say(console, f"planned {result.planned}{gap}; {summary or 'nothing due'}")
    for line in result.warnings():
        say(err_console, f"warning: {line}")
    if result.unconfigured:
        raise typer.Exit(3)


def run_cmd(
    interval: int = typer.Option(60, help="seconds between cycles"),
    host: str = typer.Option("127.0.0.1", "--host", help="webhooks: address to listen on"),
    port: int = typer.Option(8080, "--port", help="webhooks: port to listen on"),
) -> None:
    """Scheduler, dispatcher and inbound (polling; webhooks too when CAREBOT_PUBLIC_URL is
    set), until stopped."""
    s = store()
    if s.settings.carebot_public_url:
        serve_in_background(s, host=host, port=port)
        say(console, f"webhooks on {host}:{port}")
    say(console, f"carebot running: a cycle every {interval}s (Ctrl-C to stop)")
    run_forever(s, interval_seconds=interval, echo=_echo)


def reply_cmd(
    pseudonym: str = typer.Argument(..., help="the patient's pseudonym"),
    text: str = typer.Argument(..., help="what the patient wrote"),
    channel: str | None = typer.Option(
        None,
        "--channel",
        help="the channel that needs no provider: the only one simulated, and the default",
    ),
    at: str | None = typer.Option(None, "--at", help="when it was received (ISO 8601)"),
) -> None:
    """Simulate an inbound message from a patient, as if it came on the console channel."""
    local = registry.local()
    if channel not in (None, local):
        fail(f"only the {local} channel can be simulated; real channels reply through webhooks", 2)
    channel = local
    s = store()
    with s.session() as session:
        from bot.patients.enrolment import require

        who = require(session, pseudonym).pseudonym
    result = receive(s, channel=channel, text=text, received_at=parse_when(at), pseudonym=who)
    flags = ", ".join(result.flags) or "none"
    say(console, f"reply {result.reply_id} stored for {who}; flags: {flags}")
    if result.answer:
        _echo(who, result.answer)
    if result.notice is not None:
        import asyncio

        from bot.inbound.alerts import send_notice

        asyncio.run(send_notice(s, result.notice, subject=who, echo=_echo))


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8080, "--port", help="port to listen on"),
) -> None:
    """The webhook endpoints only (Twilio SMS and status, Telegram, /healthz)."""
    import uvicorn

    from bot.inbound import server
    from bot.inbound.webhooks import build_app

    uvicorn.Server(server.config(build_app(store()), host=host, port=port)).run()


def demo_cmd(
    keep: Path | None = typer.Option(
        None, "--keep", help="keep the demo store in this new folder, to inspect it"
    ),
) -> None:
    """A simulated month for three synthetic patients, in a temporary store. No network."""
    from bot.cli.demo import run_demo

    if keep is not None:
        if keep.exists() and any(keep.iterdir()):
            fail("the --keep folder is not empty")
        keep.mkdir(parents=True, exist_ok=True)
    run_demo(keep=keep)
