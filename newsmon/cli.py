"""The ``newsmon`` command line (Typer + Rich): the operator's and subscriber's entry point.

Each command builds the :class:`newsmon.app.App` it needs, does one thing, and prints a table for
people or, with ``--json``, JSON for machines. Sub-command groups live in sibling modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from config.errors import NewsmonError
from config.loading import user_data_home
from newsmon.app import App, AppOptions
from newsmon.cli_alerts import alerts_app, process_command
from newsmon.cli_articles import articles_app
from newsmon.cli_crawl import crawl_command
from newsmon.cli_demo import demo_command
from newsmon.cli_digest import digest_command
from newsmon.cli_entities import entities_app
from newsmon.cli_extract import extract_command
from newsmon.cli_sources import sources_app
from newsmon.cli_status import status_command
from newsmon.cli_subscriptions import subscribe_command, subscriptions_app
from newsmon.cli_tag import retag_command, tag_command
from newsmon.daemon.cli import run_command
from newsmon.output import console, errors
from pipeline.storage.engine import database_problem

app = typer.Typer(
    name="newsmon",
    help="Self-hosted monitor of AI-industry news: crawl sources, store clean articles.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")
app.add_typer(articles_app, name="articles")
app.add_typer(entities_app, name="entities")
app.command("tag")(tag_command)
app.command("subscribe")(subscribe_command)
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(alerts_app, name="alerts")
app.command("process")(process_command)
app.command("digest")(digest_command)
app.command("retag")(retag_command)
app.command("crawl")(crawl_command)
app.command("extract")(extract_command)
app.command("status")(status_command)
app.command("demo")(demo_command)
app.command("run")(run_command)


@app.callback()
def main_options(
    context: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", help=f"Data directory (default: $NEWSMON_HOME, else "
                                    f"{escape(str(user_data_home()))}).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config",
                     help="Settings file (default: $NEWSMON_CONFIG, else HOME/config.toml).")
    ] = None,
) -> None:
    """newsmon: watch AI-industry news so you don't have to."""
    context.obj = AppOptions(home=home, config_file=config)


@app.command("init")
def init_command(
    context: typer.Context,
    no_sources: Annotated[
        bool, typer.Option("--no-sources", help="Don't add the default source list.")
    ] = False,
) -> None:
    """Create the data directory and database, and add the default sources."""
    with App.open(context.obj, upgrade=True) as application:
        added = 0 if no_sources else application.seed_sources()
        console.print(f"Data directory: {application.settings.home}")
        console.print(f"Database: schema at revision {application.storage.current_revision()}")
        console.print(f"Sources: {added} default sources added "
                      f"({len(application.storage.sources.all())} in all)")


@db_app.command("upgrade")
def db_upgrade_command(
    context: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (safe to run again)."""
    with App.open(context.obj) as application:
        before = application.storage.current_revision()
        application.storage.upgrade(revision)
        after = application.storage.current_revision()
        at_head = after == application.storage.head_revision()
        sealing = application.seal_clear_targets() if at_head else None
        console.print(f"Database upgraded: {before or 'empty'} -> {after}")
        if sealing and sealing.sealed:
            console.print(f"Sealed {sealing.sealed} Slack/Discord webhook URL(s) stored in clear.")
        if sealing and sealing.resealed:
            console.print(f"Re-sealed {sealing.resealed} Slack/Discord webhook URL(s) with the "
                          "current NEWSMON_SECRET_KEY (sealed with an old key).")
        if sealing and sealing.unreadable:
            errors.print(f"{sealing.unreadable} Slack/Discord webhook URL(s) were sealed with a "
                         "key that is neither NEWSMON_SECRET_KEY nor in NEWSMON_OLD_SECRET_KEYS.")


@db_app.command("current")
def db_current_command(context: typer.Context) -> None:
    """Show the database's schema revision and the newest one this version knows."""
    with App.open(context.obj) as application:
        storage = application.storage
        console.print(f"current: {storage.current_revision() or 'empty'}; "
                      f"head: {storage.head_revision()}")


def main() -> None:
    """Console-script entry point: configuration and database errors end with a clear message."""
    try:
        app()
    except NewsmonError as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from error
    except OperationalError as error:  # the database is down or unreachable: not a bug
        problem = database_problem(error) or type(error).__name__
        errors.print(f"[red]error:[/red] cannot use the database: {escape(problem)}",
                     soft_wrap=True)
        raise SystemExit(2) from error
