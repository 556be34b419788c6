"""``newsmon process``, ``newsmon alerts ...``: run matching now, send, inspect, test, feed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alerts.feed import FeedEntry, alerts_feed
from alerts.messages import Snippet, mark_text, spans_in, text_snippets
from alerts.query import QueryError, parse_query
from alerts.summary import story_summary
from alerts.views import view_of
from newsmon.app import App
from newsmon.cli_articles import parse_since
from newsmon.output import console, counted, errors, plain, print_json, short_time
from pipeline.storage import StoredArticle
from pipeline.storage.alerts import AlertRecord, DeliveryJob

_SHORT_COLUMNS = frozenset({"id", "when", "outlets"})
"""Columns kept on one line (a time split over two lines reads as two values)."""

alerts_app = typer.Typer(help="Alerts: list, send, dead letters, test a query, feeds.",
                         no_args_is_help=True)


def process_command(context: typer.Context) -> None:
    """Run everything new through tagging, story clustering and subscription matching now."""
    with App.open(context.obj, upgrade=True) as application:
        report = application.process()
    t, c, m = report.tagging, report.clustering, report.matching
    console.print(f"tagged {counted(t.tagged, 'article')} ({t.failed} failed); clustered "
                  f"{c.clustered} ({counted(c.new_stories, 'new story')}, {c.joined} joined); "
                  f"matched {m.articles}: {counted(m.new_alerts, 'new alert')}, {m.folded} "
                  f"folded into earlier ones, {counted(m.deliveries, 'delivery')} queued",
                  soft_wrap=True)
    for name in m.broken_subscriptions:
        errors.print(f"subscription {name!r}: its query no longer parses (see subscriptions show)")


@alerts_app.command("send")
def send_alerts(context: typer.Context) -> None:
    """Deliver what the outbox holds that is due now."""
    with App.open(context.obj, upgrade=True) as application:
        report = asyncio.run(application.send_alerts())
    console.print(f"sent {report.sent}, retrying {report.retrying}, dead {report.dead} "
                  f"({report.disabled} channels disabled)")


@alerts_app.command("list")
def list_alerts(
    context: typer.Context,
    subscription: Annotated[str | None, typer.Option(help="Only this subscription.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recent alerts, newest first."""
    with App.open(context.obj, upgrade=True) as application:
        found = application.storage.subscriptions.get(subscription) if subscription else None
        if subscription and found is None:
            errors.print(f"no subscription named {subscription!r}")
            raise typer.Exit(1)
        alerts = application.storage.alerts.alerts(
            subscription_id=found.id if found else None, limit=limit)
    if json_output:
        print_json(alerts)
        return
    table = Table(title=counted(len(alerts), "alert"))
    for column in ("id", "when", "subscription", "title", "outlets", "why"):
        table.add_column(column, overflow="fold", no_wrap=column in _SHORT_COLUMNS)
    for alert in alerts:
        why = ", ".join(str(r.get("label", "")) for r in alert.reasons[:3])
        table.add_row(str(alert.id), short_time(alert.created_at), plain(alert.subscription),
                      plain(alert.title or alert.url), str(alert.coverage), plain(why))
    console.print(table)


@alerts_app.command("dead")
def dead_letters(
    context: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Deliveries that were given up on, with their last error."""
    print_deliveries(context, "dead", json_output)


@alerts_app.command("retrying")
def retrying_deliveries(
    context: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Deliveries that failed and will be tried again (backing off), with their last error."""
    print_deliveries(context, "retrying", json_output)


def print_deliveries(context: typer.Context, status: str, json_output: bool) -> None:
    """The deliveries in ``status``, newest first, as a table or JSON lines."""
    with App.open(context.obj, upgrade=True) as application:
        jobs = application.storage.alerts.deliveries(status=status)
    if json_output:
        print_json([delivery_json(job) for job in jobs])
        return
    table = Table(title=counted(len(jobs), f"{status} delivery", f"{status} deliveries"))
    for column in ("id", "alert", "channel", "target", "attempts", "last error"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        table.add_row(str(job.id), str(job.alert_id), job.channel_kind, plain(job.target_shown),
                      str(job.attempts), plain(job.last_error))
    console.print(table)


@alerts_app.command("replay")
def replay_delivery(
    context: typer.Context,
    delivery_id: Annotated[int, typer.Argument(help="Delivery id (see `alerts dead`).")],
) -> None:
    """Queue a dead delivery again; it keeps its delivery id."""
    with App.open(context.obj, upgrade=True) as application:
        queued = application.storage.alerts.replay(delivery_id, application.clock())
    if not queued:
        errors.print(f"no delivery with id {delivery_id}")
        raise typer.Exit(1)
    console.print(f"Delivery {delivery_id} queued again; `newsmon alerts send` sends it.")


@alerts_app.command("test")
def test_query(
    context: typer.Context,
    query: Annotated[str, typer.Argument(help="The query to try.")],
    since: Annotated[
        str, typer.Option(help="How far back to look: 30d, 12h or 2026-11-01.")
    ] = "30d",
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 5000,
) -> None:
    """Show what a query would have matched among stored articles, with the matches marked."""
    with App.open(context.obj, upgrade=True) as application:
        parsed = parse_query(query, application.catalog)
        if isinstance(parsed, QueryError):
            errors.print(parsed.render(), markup=False)
            raise typer.Exit(2)
        for note in parsed.notes:
            console.print(f"note: {note}", markup=False)
        now = application.clock()
        cutoff = parse_since(since, now)
        storage = application.storage
        views = [view_of(a, storage.tags.of(a.id))
                 for a in storage.articles.latest(since=cutoff, limit=limit)]
    hits = [(view, reasons) for view in views
            if (reasons := parsed.matches(view, now)) is not None]
    console.print(f"{len(hits)} of {len(views)} articles since {short_time(cutoff)} match")
    for view, reasons in hits:
        title = mark_text("title", view.title, spans_in(reasons, "title", len(view.title)))
        console.print(f"[bold]{snippet_markup(title)}[/bold]  "
                      f"[dim]{escape(view.source)} {short_time(view.published)}[/dim]")
        console.print("   " + ", ".join(escape(r.label) for r in reasons), highlight=False)
        spans = spans_in(reasons, "text", len(view.text))
        for excerpt in text_snippets(view.text, spans, limit=MAX_TEST_SNIPPETS):
            console.print(f"   {snippet_markup(excerpt)}", highlight=False)


MAX_TEST_SNIPPETS = 2
"""Excerpts of the text shown per matching article by ``alerts test``."""


def snippet_markup(snippet: Snippet) -> str:
    """Rich markup of an excerpt: its matches underlined, "…" where the text was cut, every
    character from the article escaped."""
    marked = "".join(f"[u yellow]{escape(part.text)}[/u yellow]" if part.marked
                     else escape(part.text) for part in snippet.segments)
    return f"{'…' if snippet.cut_before else ''}{marked}{'…' if snippet.cut_after else ''}"


@alerts_app.command("feed")
def write_feed(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="Subscription name.")],
    out: Annotated[Path, typer.Option(help="Where to write the Atom feed.")],
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Write a subscription's alerts as an Atom feed."""
    with App.open(context.obj, upgrade=True) as application:
        storage = application.storage
        found = storage.subscriptions.get(name)
        if found is None:
            errors.print(f"no subscription named {name!r}")
            raise typer.Exit(1)
        entries = [_entry(alert, storage.articles.get(alert.article_id))
                   for alert in storage.alerts.alerts(subscription_id=found.id, limit=limit)]
        document = alerts_feed(found.name, found.query, entries,
                               feed_id=f"urn:newsmon:subscription:{found.id}",
                               updated=application.clock())
    out.write_bytes(document)
    console.print(f"Wrote {counted(len(entries), 'alert')} to {out}")


def _entry(alert: AlertRecord, article: StoredArticle | None) -> FeedEntry:
    summary = story_summary(article.text) if article else ""
    return FeedEntry(alert.id, alert.title or alert.url, alert.url, summary, alert.created_at,
                     alert.coverage)


def delivery_json(job: DeliveryJob) -> dict[str, object]:
    """A failed (dead or retrying) delivery as JSON: its target as people may see it (Slack and
    Discord redacted)."""
    return {"id": job.id, "key": job.key, "alert_id": job.alert_id,
            "subscription_id": job.subscription_id, "article_id": job.article_id,
            "channel_id": job.channel_id,
            "channel_kind": job.channel_kind, "target": job.target_shown,
            "attempts": job.attempts, "status": job.status, "last_error": job.last_error,
            "created_at": job.created_at}
