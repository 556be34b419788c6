"""``newsmon subscribe`` and ``newsmon subscriptions ...``: standing queries and their channels."""

from __future__ import annotations

import re
import zoneinfo
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from alerts.netguard import check_url
from alerts.query import QueryError, parse_query
from config.settings import SOURCE_NAME
from newsmon.app import App
from newsmon.output import console, counted, errors, plain, print_json, short_time
from pipeline.storage.sealing import missing_key_message, redact_url
from pipeline.storage.subscriptions import NewSubscription, SubscriptionRecord

subscriptions_app = typer.Typer(help="Manage alert subscriptions.", no_args_is_help=True)
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Frequency(StrEnum):
    """How often a subscriber hears about matches."""

    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


def subscribe_command(
    context: typer.Context,
    query: Annotated[str, typer.Argument(help='The query, e.g. \'company:Meta "Muse Spark"\'.')],
    name: Annotated[str, typer.Option(help="A short unique name for the subscription.")],
    email: Annotated[list[str] | None, typer.Option(help="Email address (repeatable).")] = None,
    webhook: Annotated[list[str] | None, typer.Option(help="Webhook URL (repeatable).")] = None,
    slack: Annotated[list[str] | None, typer.Option(help="Slack incoming webhook URL.")] = None,
    discord: Annotated[list[str] | None, typer.Option(help="Discord webhook URL.")] = None,
    frequency: Annotated[Frequency, typer.Option(help="When to deliver.")] = Frequency.IMMEDIATE,
    digest_time: Annotated[str, typer.Option(help="HH:MM for hourly/daily digests.")] = "08:00",
    tz: Annotated[str, typer.Option(help="Time zone of digest-time, e.g. Europe/Paris.")] = "UTC",
) -> None:
    """Subscribe to a query: alerts go to the given channels, once per story."""
    with App.open(context.obj, upgrade=True) as application:
        parsed = parse_query(query, application.catalog)
        if isinstance(parsed, QueryError):
            errors.print(parsed.render(), markup=False)
            raise typer.Exit(2)
        channels = _channels(application, email or [], webhook or [], slack or [], discord or [])
        _check_schedule(name, digest_time, tz)
        new = NewSubscription(name=name, query=query, frequency=frequency.value,
                              digest_time=digest_time, timezone=tz, channels=channels)
        added = application.storage.subscriptions.add(new, application.clock())
        unconfigured = application.unconfigured_channels(
            dict.fromkeys(kind for kind, _ in channels)) if added else {}
    if added is None:
        errors.print(f"a subscription named {name!r} already exists")
        raise typer.Exit(1)
    targets = ", ".join(f"{c.kind} {c.shown}" for c in added.channels) or "no channel (feed only)"
    console.print(f"Subscribed {added.name!r} ({added.frequency}) to {targets}", markup=False)
    for note in parsed.notes:
        console.print(f"note: {note}", markup=False)
    for kind, why in unconfigured.items():
        console.print(f"note: {kind} alerts will wait in the outbox: the {kind} channel is not "
                      f"configured here ({why})", markup=False, soft_wrap=True)


def _channels(application: App, email: list[str], webhook: list[str], slack: list[str],
              discord: list[str]) -> tuple[tuple[str, str], ...]:
    for address in email:
        if not _EMAIL.match(address):
            errors.print(f"not an email address: {address!r}")
            raise typer.Exit(2)
    if (slack or discord) and not application.storage.subscriptions.can_seal:
        errors.print(f"refused: {missing_key_message()}", markup=False)
        raise typer.Exit(2)
    allow = application.allow_list()
    for kind, urls in (("webhook", webhook), ("slack", slack), ("discord", discord)):
        for url in urls:
            problem = check_url(url, allow)
            if problem:
                shown = url if kind == "webhook" else redact_url(url)
                reason = problem.removeprefix("refused: ")
                errors.print(f"refused {shown}: {reason}", markup=False, soft_wrap=True)
                raise typer.Exit(2)
    kinds = (("email", email), ("webhook", webhook), ("slack", slack), ("discord", discord))
    return tuple((kind, target) for kind, targets in kinds for target in targets)


def _check_schedule(name: str, digest_time: str, tz: str) -> None:
    if not SOURCE_NAME.match(name):
        errors.print("name: use 1-63 lowercase letters, digits, '.', '_' or '-'")
        raise typer.Exit(2)
    if not _TIME.match(digest_time):
        errors.print(f"digest-time: {digest_time!r} is not HH:MM")
        raise typer.Exit(2)
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        errors.print(f"tz: unknown time zone {tz!r}")
        raise typer.Exit(2) from error


@subscriptions_app.command("list")
def list_subscriptions(
    context: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every subscription with its channels."""
    with App.open(context.obj, upgrade=True) as application:
        subscriptions = application.storage.subscriptions.all()
    if json_output:
        print_json([subscription_json(s) for s in subscriptions])
        return
    table = Table(title=counted(len(subscriptions), "subscription"))
    for column in ("name", "query", "frequency", "channels", "state", "since"):
        table.add_column(column, overflow="fold")
    for s in subscriptions:
        table.add_row(plain(s.name), plain(s.query), s.frequency,
                      ", ".join(c.kind for c in s.channels),
                      "paused" if s.paused else "active", short_time(s.created_at))
    console.print(table)


@subscriptions_app.command("show")
def show_subscription(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="Subscription name.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One subscription: its query, schedule, channels and recent alerts."""
    with App.open(context.obj, upgrade=True) as application:
        found = application.storage.subscriptions.get(name)
        alerts = application.storage.alerts.alerts(subscription_id=found.id) if found else []
    if found is None:
        errors.print(f"no subscription named {name!r}")
        raise typer.Exit(1)
    if json_output:
        print_json({**subscription_json(found), "recent_alerts": alerts})
        return
    console.print(f"[bold]{found.name}[/bold] ({'paused' if found.paused else 'active'})")
    console.print(f"  query:     {found.query}", markup=False)
    console.print(f"  frequency: {schedule_line(found)}", markup=False)
    for channel in found.channels:
        state = f" [disabled: {channel.disabled_reason}]" if channel.disabled_at else ""
        state += f" [unreadable: {channel.unreadable}]" if channel.unreadable else ""
        console.print(f"  channel:   {channel.kind} {channel.shown}{state}", markup=False)
    if not alerts:
        console.print("  alerts:    none yet")
        return
    console.print(f"  alerts:    latest {min(len(alerts), SHOWN_ALERTS)} (times in UTC)")
    for alert in alerts[:SHOWN_ALERTS]:
        console.print(f"    {short_time(alert.created_at)}  {alert.title or alert.url}",
                      markup=False)


SHOWN_ALERTS = 5
"""How many of its latest alerts ``subscriptions show`` lists."""


def schedule_line(subscription: SubscriptionRecord) -> str:
    """When the subscriber hears about matches: ``immediate``, ``hourly digest (Europe/Paris)``,
    ``daily digest at 08:00 Europe/Paris`` (the digest time means nothing to the others)."""
    if subscription.frequency == Frequency.DAILY:
        return f"daily digest at {subscription.digest_time} {subscription.timezone}"
    if subscription.frequency == Frequency.HOURLY:
        return f"hourly digest ({subscription.timezone})"
    return subscription.frequency


def _set_paused(context: typer.Context, name: str, paused: bool) -> None:
    with App.open(context.obj, upgrade=True) as application:
        found = application.storage.subscriptions.set_paused(name, paused)
    if not found:
        errors.print(f"no subscription named {name!r}")
        raise typer.Exit(1)
    console.print(f"Subscription {name!r} {'paused' if paused else 'resumed'}.")


@subscriptions_app.command("pause")
def pause_subscription(context: typer.Context,
                       name: Annotated[str, typer.Argument(help="Subscription name.")]) -> None:
    """Stop alerts for a while (nothing is matched or sent while paused)."""
    _set_paused(context, name, True)


@subscriptions_app.command("resume")
def resume_subscription(context: typer.Context,
                        name: Annotated[str, typer.Argument(help="Subscription name.")]) -> None:
    """Start alerts again."""
    _set_paused(context, name, False)


@subscriptions_app.command("delete")
def delete_subscription(context: typer.Context,
                        name: Annotated[str, typer.Argument(help="Subscription name.")]) -> None:
    """Delete a subscription with its alerts and pending deliveries."""
    with App.open(context.obj, upgrade=True) as application:
        deleted = application.storage.subscriptions.delete(name)
    if not deleted:
        errors.print(f"no subscription named {name!r}")
        raise typer.Exit(1)
    console.print(f"Deleted subscription {name!r}.")


def subscription_json(subscription: SubscriptionRecord) -> dict[str, object]:
    """The JSON shape of a subscription (its token secret is never shown; Slack and Discord
    URLs are redacted)."""
    return {
        "id": subscription.id, "name": subscription.name, "query": subscription.query,
        "frequency": subscription.frequency, "digest_time": subscription.digest_time,
        "timezone": subscription.timezone, "paused": subscription.paused,
        "created_at": subscription.created_at,
        "channels": [{"id": c.id, "kind": c.kind, "target": c.shown,
                      "disabled_at": c.disabled_at, "disabled_reason": c.disabled_reason}
                     for c in subscription.channels],
    }
