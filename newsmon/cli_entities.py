"""``newsmon entities ...``: browse and check the entity catalog (bundled + the user's files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from config.catalog import CompanyRecord, ModelRecord, check_catalog, load_catalog
from config.loading import ConfigError
from newsmon.app import App
from newsmon.output import console, counted, errors, print_json

entities_app = typer.Typer(help="The catalog of AI models and companies.", no_args_is_help=True)


@entities_app.command("list")
def list_entities(
    context: typer.Context,
    kind: Annotated[str | None, typer.Option("--type", help="model or company.")] = None,
    developer: Annotated[str | None, typer.Option(help="Only models of this company id.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every model and company in the catalog."""
    with App.open(context.obj) as application:
        catalog = application.catalog
    records: list[ModelRecord | CompanyRecord] = []
    if kind in (None, "model"):
        records += [m for m in catalog.models if developer in (None, m.developer)]
    if kind in (None, "company") and developer is None:
        records += list(catalog.companies)
    if json_output:
        print_json([record.model_dump(mode="json") for record in records])
        return
    table = Table(title=counted(len(records), "entity"))
    for column in ("id", "type", "name", "developer / parent", "ticker", "aliases"):
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*_row(record))
    console.print(table)


@entities_app.command("show")
def show_entity(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="An id, a name or an alias.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One entity with its aliases, links and (for companies) models and sub-organisations."""
    with App.open(context.obj) as application:
        catalog = application.catalog
    found = catalog.get(name)
    matches = (found,) if found else catalog.find(name)
    if not matches:
        errors.print(f"no entity called {name!r} (try `newsmon entities list`)")
        raise typer.Exit(1)
    if json_output:
        print_json([record.model_dump(mode="json") for record in matches])
        return
    for record in matches:
        console.print(f"[bold]{record.name}[/bold] ({record.id})")
        console.print(f"  aliases: {', '.join(record.aliases) or '-'}", markup=False)
        if isinstance(record, ModelRecord):
            console.print(f"  developer: {record.developer}; family: {record.family or '-'}; "
                          f"kind: {record.kind}; released: {record.released or '-'}")
        else:
            models = [m.name for m in catalog.models_by(record.id)]
            children = [c.name for c in catalog.children(record.id)]
            console.print(f"  ticker: {record.ticker or '-'} {record.exchange or ''}; "
                          f"parent: {record.parent or '-'}; kind: {record.kind}")
            console.print(f"  models: {', '.join(models) or '-'}", markup=False)
            console.print(f"  sub-organisations: {', '.join(children) or '-'}", markup=False)
            if record.products:
                console.print(f"  products (never an organisation): {', '.join(record.products)}",
                              markup=False)


@entities_app.command("check")
def check_entities(
    context: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Extra files or folders (default: the user's).")
    ] = None,
) -> None:
    """Validate the catalog files and report clashes (exit 1 on errors)."""
    with App.open(context.obj) as application:
        extra = paths or application.entity_paths()
    try:
        catalog = load_catalog(*extra)
    except ConfigError as error:
        errors.print(f"[red]invalid:[/red] {error}")
        raise typer.Exit(1) from error
    problems = check_catalog(catalog)
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{style}]{problem.severity}[/{style}] {problem.entity_id}: "
                      f"{problem.message}")
    serious = sum(1 for problem in problems if problem.severity == "error")
    console.print(f"{len(catalog.models)} models, {len(catalog.companies)} companies; "
                  f"{serious} errors, {len(problems) - serious} warnings")
    if serious:
        raise typer.Exit(1)


def _row(record: ModelRecord | CompanyRecord) -> tuple[str, ...]:
    aliases = ", ".join(record.aliases[:4]) + (" ..." if len(record.aliases) > 4 else "")
    if isinstance(record, ModelRecord):
        return (record.id, "model", record.name, record.developer, "", aliases)
    return (record.id, "company", record.name, record.parent or "", record.ticker or "", aliases)
