"""``newsmon sources ...``: list, add, remove, show, enable and disable sources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from alerts.netguard import check_url
from config import SourceSpec
from config.settings import format_duration
from crawler.sections import validate_selector
from newsmon.app import App
from newsmon.daemon.reload import explicitly_enabled_in_file, user_sources_file
from newsmon.output import (
    ago,
    console,
    counted,
    errors,
    literal,
    plain,
    print_json,
)
from pipeline.storage import SourceHealth, SourceRecord

sources_app = typer.Typer(help="Manage the sources newsmon polls.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PIPED_TABLE_WIDTH = 240
"""Columns a table may take when the output is not a terminal (a pipe, a file)."""


def print_table(table: Table) -> None:
    """A table as wide as the terminal; piped (``| less``, ``| grep``), as wide as its rows
    need, up to ``PIPED_TABLE_WIDTH``, rather than squeezed into 80 columns."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(width=PIPED_TABLE_WIDTH, highlight=False).print(table)


@sources_app.command("list")
def list_sources(context: typer.Context, json_output: JsonFlag = False) -> None:
    """Every source with its health: last success and error, failures, articles per day."""
    with App.open(context.obj, upgrade=True) as application:
        now = application.clock()
        health = application.storage.sources.health(now)
    if json_output:
        print_json([_health_json(item) for item in health])
        return
    table = Table(title=counted(len(health), "source"), show_lines=False)
    for column in ("name", "kind", "on", "every", "weight", "last success", "status",
                   "failures", "per day", "24h", "last error"):
        table.add_column(column, overflow="fold")
    for item in health:
        source, state = item.source, item.state
        table.add_row(
            plain(source.name), source.kind, "yes" if source.enabled else "no",
            plain(schedule_text(source).removeprefix("every ")), f"{source.weight:g}",
            ago(item.last_success_at, now), str(item.last_status_code or ""),
            str(state.consecutive_failures or ""), f"{item.articles_per_day:g}",
            str(item.articles_last_24h),
            plain((item.last_error or "")[:80] if state.consecutive_failures else ""),
        )
    print_table(table)


@sources_app.command("add")
def add_source(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="Short unique name, e.g. 'openai-news'.")],
    url: Annotated[str, typer.Argument(help="The feed, sitemap or section page URL.")],
    kind: Annotated[str, typer.Option(help="feed, sitemap or page.")] = "feed",
    interval: Annotated[
        str, typer.Option(help="How often to poll: 15m, 2h, 1d (at least 1m); a number "
                               "without a unit is seconds.")
    ] = "30m",
    weight: Annotated[float, typer.Option(help="0-10; 1 is an ordinary outlet.")] = 1.0,
    selector: Annotated[
        str | None, typer.Option(help="For kind=page: CSS or XPath picking article links.")
    ] = None,
    window: Annotated[
        str | None, typer.Option(help="Poll only between these local times, e.g. 06:00-22:00.")
    ] = None,
    cron: Annotated[
        str | None,
        typer.Option(help="Poll at these times instead of the interval (crontab, e.g. "
                          "'5 16 * * mon-fri').")
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="The time zone --window and --cron are read in (IANA name).")
    ] = "UTC",
) -> None:
    """Add a source after validating its name, URL, kind, interval, selector and schedule; URLs
    naming private addresses are refused unless allow-listed (checked again at every crawl), and
    so is a URL another source already polls (a page may be read again with another
    --selector)."""
    try:
        spec = SourceSpec(name=name, url=url, kind=kind, interval=interval,  # type: ignore[arg-type]
                          weight=weight, link_selector=selector, window=window, cron=cron,
                          timezone=timezone)
    except ValidationError as error:
        errors.print(option_errors(error), markup=False)
        raise typer.Exit(2) from error
    problem = validate_selector(selector) if selector else None
    if problem:
        errors.print(f"--selector {selector}: {problem}", markup=False)
        raise typer.Exit(2)
    with App.open(context.obj, upgrade=True) as application:
        refused = check_url(url, application.allow_list())
        if refused:
            errors.print(f"source: url: {refused}", markup=False, soft_wrap=True)
            raise typer.Exit(2)
        added = application.storage.sources.add(spec, application.clock())
        same_feed = None if added else application.storage.sources.same_feed_as(spec)
    if same_feed is not None:
        errors.print(same_feed_message(spec, same_feed), markup=False)
        raise typer.Exit(1)
    if added is None:
        errors.print(f"a source named {name!r} already exists")
        raise typer.Exit(1)
    console.print(f"Added {added.kind} source {added.name!r}: {added.url} "
                  f"{schedule_text(added)}", markup=False)


OPTION_OF_FIELD = {"kind": "--kind", "interval": "--interval", "weight": "--weight",
                   "link_selector": "--selector", "window": "--window", "cron": "--cron",
                   "timezone": "--timezone"}
"""The ``sources add`` option that sets each source field (name and url are arguments)."""


def option_errors(error: ValidationError) -> str:
    """One line per problem, naming the option and the value given (``--interval 5: read as 5
    seconds ...``); problems of the arguments or of the whole source as ``source: ...``."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = problem["msg"].removeprefix("Value error, ")
        option = OPTION_OF_FIELD.get(field)
        lines.append(f"{option} {problem['input']}: {message}" if option
                     else f"source: {field + ': ' if field else ''}{message}")
    return "\n".join(lines)


def same_feed_message(spec: SourceSpec, existing: SourceRecord) -> str:
    """Why ``spec`` was refused: ``existing`` already polls its URL."""
    if spec.kind == "page" and existing.kind == "page":
        return (f"source {existing.name!r} already reads this page ({existing.url}) with the "
                f"same --selector; give another selector, or remove {existing.name!r} first to "
                "rename it.")
    return (f"source {existing.name!r} already polls this URL ({existing.url}); a feed is polled "
            f"under one name only: remove {existing.name!r} first to rename it.")


@sources_app.command("remove")
def remove_source(
    context: typer.Context, name: Annotated[str, typer.Argument(help="Source name.")]
) -> None:
    """Remove a source (its stored articles are kept)."""
    with App.open(context.obj, upgrade=True) as application:
        removed = application.storage.sources.remove(name)
    if not removed:
        errors.print(f"no source named {name!r}")
        raise typer.Exit(1)
    console.print(f"Removed source {name!r}; its articles are kept.")


@sources_app.command("show")
def show_source(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="Source name.")],
    json_output: JsonFlag = False,
) -> None:
    """One source: its settings, fetch state, health and recent rejections."""
    with App.open(context.obj, upgrade=True) as application:
        now = application.clock()
        health = next((h for h in application.storage.sources.health(now)
                       if h.source.name == name), None)
        rejections = application.storage.sources.rejections(name, limit=10)
    if health is None:
        errors.print(f"no source named {name!r}")
        raise typer.Exit(1)
    if json_output:
        print_json({**_health_json(health), "recent_rejections": rejections})
        return
    _print_health(health, now)
    for rejection in rejections:
        console.print(f"  {ago(rejection.occurred_at, now):>8}  [{rejection.stage}] "
                      f"{rejection.reason}  {rejection.url or ''}", markup=False, soft_wrap=True)


def _set_enabled(context: typer.Context, name: str, enabled: bool) -> None:
    with App.open(context.obj, upgrade=True) as application:
        found = application.storage.sources.set_enabled(name, enabled)
        overridden = found and not enabled and explicitly_enabled_in_file(application, name)
    if not found:
        errors.print(f"no source named {name!r}")
        raise typer.Exit(1)
    console.print(f"Source {name!r} {'enabled' if enabled else 'disabled'}.")
    if overridden:
        errors.print(f"warning: {user_sources_file(application)} sets enabled = true for "
                     f"{name!r}; the daemon turns it back on at its next start or reload. "
                     "Remove that line or set enabled = false there.")


@sources_app.command("enable")
def enable_source(
    context: typer.Context, name: Annotated[str, typer.Argument(help="Source name.")]
) -> None:
    """Poll a source again."""
    _set_enabled(context, name, True)


@sources_app.command("disable")
def disable_source(
    context: typer.Context, name: Annotated[str, typer.Argument(help="Source name.")]
) -> None:
    """Stop polling a source without removing it."""
    _set_enabled(context, name, False)


def schedule_text(source: SourceRecord) -> str:
    """When a source is polled: "every 30m", "every 30m, 06:00-22:00 Europe/Paris", or
    "cron 5 16 * * mon-fri America/New_York"."""
    if source.cron:
        return f"cron {source.cron} {source.timezone}"
    every = f"every {format_duration(source.interval_seconds)}"
    return f"{every}, {source.window} {source.timezone}" if source.window else every


def _health_json(item: SourceHealth) -> dict[str, object]:
    source, state = item.source, item.state
    return {
        "name": source.name, "kind": source.kind, "url": source.url, "enabled": source.enabled,
        "interval_seconds": source.interval_seconds, "window": source.window,
        "cron": source.cron, "timezone": source.timezone, "weight": source.weight,
        "link_selector": source.link_selector, "last_success_at": item.last_success_at,
        "last_error": item.last_error, "last_error_at": item.last_error_at,
        "last_status_code": item.last_status_code,
        "consecutive_failures": state.consecutive_failures,
        "next_poll_at": state.next_poll_at, "next_poll_reason": state.next_poll_reason,
        "articles_total": item.articles_total, "articles_last_24h": item.articles_last_24h,
        "articles_per_day": item.articles_per_day,
    }


def _print_health(item: SourceHealth, now: datetime) -> None:
    """The source's settings and state, one field a line; stored text (URLs, selectors, errors
    from servers) is printed as it is, never read as Rich markup."""
    source, state = item.source, item.state
    console.print(f"[bold]{literal(source.name)}[/bold] ({source.kind}, "
                  f"{'enabled' if source.enabled else 'disabled'})")
    fields = [("url", source.url), ("selector", source.link_selector),
              ("schedule", f"{schedule_text(source)}, weight {source.weight:g}"),
              ("last poll", f"{ago(state.last_polled_at, now)} "
                            f"(status {item.last_status_code or '-'})"),
              ("last success", ago(item.last_success_at, now))]
    if item.last_error:
        fields.append(("last error", f"{item.last_error} ({ago(item.last_error_at, now)})"))
    fields.append(("failures", f"{state.consecutive_failures} in a row"))
    if state.next_poll_at is not None and state.next_poll_at > now:
        fields.append(("next poll", f"{ago(state.next_poll_at, now)} "
                                    f"({state.next_poll_reason or 'paused'})"))
    fields += [("conditional", f"ETag {state.etag or '-'}; "
                               f"Last-Modified {state.last_modified or '-'}"),
               ("articles", f"{item.articles_total} in all, {item.articles_last_24h} in 24h, "
                            f"{item.articles_per_day:g}/day over 7 days")]
    for label, value in fields:
        if value:
            console.print(f"  {label + ':':<14} {value}", markup=False, soft_wrap=True)
