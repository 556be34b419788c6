"""Reading catalog files: the bundled ``config/entities/`` first, then the user's files and
directories; a later entry replaces an earlier one with the same id. Invalid entries raise
:class:`~config.loading.ConfigError` naming the file and the entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from config.catalog.index import Catalog, Origin, Redefinition
from config.catalog.records import CompanyRecord, Entity, ModelRecord
from config.loading import PACKAGE_DIR, ConfigError, format_validation_error, read_toml

BUNDLED_DIR = PACKAGE_DIR / "entities"

_SECTIONS: Mapping[str, type[ModelRecord] | type[CompanyRecord]] = MappingProxyType(
    {"model": ModelRecord, "company": CompanyRecord}
)


@dataclass
class _Collector:
    entries: dict[str, Entity] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    redefinitions: list[Redefinition] = field(default_factory=list)

    def add(self, entity: Entity, origin: Origin) -> None:
        if entity.id in self.entries:
            self.redefinitions.append(Redefinition(entity.id, self.origins[entity.id], origin))
        self.entries[entity.id] = entity
        self.origins[entity.id] = origin

    def build(self) -> Catalog:
        values = list(self.entries.values())
        return Catalog(
            models=tuple(e for e in values if isinstance(e, ModelRecord)),
            companies=tuple(e for e in values if isinstance(e, CompanyRecord)),
            origins=self.origins,
            redefinitions=tuple(self.redefinitions),
        )


def load_catalog(*paths: Path, bundled: bool = True) -> Catalog:
    """Read the bundled catalog, then each file or directory in ``paths`` (directories are read
    recursively, ``*.toml`` in name order). A later entry with the same id replaces the earlier
    one. Raises :class:`ConfigError` naming the file and the entry when an entry is invalid."""
    layers = [BUNDLED_DIR, *paths] if bundled else list(paths)
    collector = _Collector()
    for layer, path in enumerate(layers):
        for file in catalog_files(path):
            for entity in read_catalog_file(file):
                collector.add(entity, Origin(file, layer))
    return collector.build()


def catalog_files(path: Path) -> list[Path]:
    """The TOML files a path stands for: the file itself, or every ``*.toml`` under a directory."""
    if path.is_dir():
        return sorted(path.rglob("*.toml"))
    if path.is_file():
        return [path]
    raise ConfigError(f"entity catalog path not found: {path}")


def read_catalog_file(path: Path) -> list[Entity]:
    """Validate the ``[[model]]`` and then the ``[[company]]`` entries of one file."""
    data = read_toml(path)
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(unknown)}; "
            "a catalog file holds only [[model]] and [[company]] entries"
        )
    entities: list[Entity] = []
    for section, schema in _SECTIONS.items():
        tables = data.get(section, [])
        if not isinstance(tables, list):
            raise ConfigError(f"{path}: '{section}' must be an array of tables: [[{section}]]")
        entities.extend(_validate(path, section, index, table, schema)
                        for index, table in enumerate(tables))
    return entities


def _validate(
    path: Path, section: str, index: int, table: Any,
    schema: type[ModelRecord] | type[CompanyRecord],
) -> Entity:
    name = (table.get("id") or table.get("name") or "?") if isinstance(table, dict) else "?"
    where = f"{path}: {section} #{index + 1} ({name!r})"
    try:
        return schema.model_validate(table)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, None, where)) from error


