"""``newsmon digest``: review any day's digest of a subscription, in any format."""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from alerts.digest_job import NotSubscribedYetError, digest_of_day
from newsmon.app import App
from newsmon.output import console, errors
from pipeline.storage.digests import StoredDigest
from pipeline.storage.subscriptions import SubscriptionRecord


class DigestFormat(StrEnum):
    """The renderings a digest is kept in."""

    HTML = "html"
    TEXT = "text"
    MD = "md"
    JSON = "json"


def digest_command(
    context: typer.Context,
    subscription: Annotated[str | None, typer.Option(help="Only this subscription.")] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD in the subscription's time zone.")
    ] = None,
    output_format: Annotated[DigestFormat, typer.Option("--format")] = DigestFormat.TEXT,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead.")] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Deliver it on the subscription's channels (once).")
    ] = False,
) -> None:
    """Show a day's digest (today's so far by default); a past day's is kept once built."""
    with App.open(context.obj, upgrade=True) as application:
        chosen = _subscriptions(application, subscription)
        documents = []
        for record in chosen:
            today = application.clock().astimezone(ZoneInfo(record.timezone)).date()
            wanted = _parse_day(day) if day else today
            try:
                stored = digest_of_day(application.storage, record, wanted,
                                       clock=application.clock, keep=send or wanted < today)
            except NotSubscribedYetError as refused:
                errors.print(f"{refused}: no digest for that day", markup=False)
                continue
            if send:
                _send(application, stored, record)
            documents.append((record, _rendering(stored, output_format)))
    if not documents:
        raise typer.Exit(1)
    if send:
        return
    for record, document in documents:
        _emit(record, document, output_format, out, several=len(documents) > 1)


def _send(application: App, stored: StoredDigest, record: SubscriptionRecord) -> None:
    if stored.sent_at is not None:
        console.print(f"{record.name} {stored.local_date}: already sent at "
                      f"{stored.sent_at:%Y-%m-%d %H:%M} UTC; not sent again")
        return
    results = asyncio.run(application.send_digest(stored, record))
    if not results:
        errors.print(f"{record.name}: no active channel to send the digest to")
    for kind, target, result in results:
        console.print(f"{record.name} {stored.local_date}: {kind} {target}: "
                      f"{result.status.value} {result.detail}", markup=False)


def _subscriptions(application: App, name: str | None) -> list[SubscriptionRecord]:
    if name is None:
        found = application.storage.subscriptions.all()
        if not found:
            errors.print("no subscriptions yet (see `newsmon subscribe --help`)")
            raise typer.Exit(1)
        return found
    record = application.storage.subscriptions.get(name)
    if record is None:
        errors.print(f"no subscription named {name!r}")
        raise typer.Exit(1)
    return [record]


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-20") from error


def _rendering(stored: StoredDigest, output_format: DigestFormat) -> str:
    return {DigestFormat.HTML: stored.html, DigestFormat.TEXT: stored.text,
            DigestFormat.MD: stored.markdown, DigestFormat.JSON: stored.json}[output_format]


def _emit(record: SubscriptionRecord, document: str, output_format: DigestFormat,
          out: Path | None, *, several: bool) -> None:
    if out is None:
        sys.stdout.write(document if document.endswith("\n") else document + "\n")
        return
    target = out.with_name(f"{out.stem}-{record.name}{out.suffix}") if several else out
    target.write_text(document, encoding="utf-8")
    console.print(f"Wrote the {output_format.value} digest of {record.name!r} to {target}")
