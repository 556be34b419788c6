"""The entity catalog: the AI models and companies newsmon tags, with aliases, links and tickers.

Where it sits in the flow: the data lives in TOML files, bundled under ``config/entities/`` and
extended by the user's ``$NEWSMON_HOME/entities/``. :func:`load_catalog` reads them once at start-up
(later files replace earlier entries by id) into a frozen :class:`Catalog`. The NLP stage builds its
EntityRuler patterns from :meth:`Catalog.surface_forms` and links each mention to a record; the
alerts stage resolves ``company:Meta`` or ``model:"GPT-5"`` with :meth:`Catalog.find`,
:meth:`Catalog.descendants` and :meth:`Catalog.by_ticker`. :func:`check_catalog` reports clashes
(one alias on two entities, unknown links, parent cycles, shared tickers) for the CLI's catalog
check and the tests. File format and clash rules: ``docs/entities.md``.

Modules: ``records`` (the schema), ``index`` (the Catalog and its lookups), ``loading`` (files),
``checks`` (consistency checks).
"""

from config.catalog.checks import COMMON_WORDS, CatalogProblem, check_catalog
from config.catalog.index import Catalog, Origin, Redefinition
from config.catalog.loading import BUNDLED_DIR, catalog_files, load_catalog, read_catalog_file
from config.catalog.records import (
    EXCHANGES,
    CompanyKind,
    CompanyRecord,
    Entity,
    EntityType,
    Exchange,
    Listing,
    ModelKind,
    ModelRecord,
    SurfaceForm,
    alias_key,
    listing_forms,
)

__all__ = [
    "BUNDLED_DIR",
    "COMMON_WORDS",
    "EXCHANGES",
    "Catalog",
    "CatalogProblem",
    "CompanyKind",
    "CompanyRecord",
    "Entity",
    "EntityType",
    "Exchange",
    "Listing",
    "ModelKind",
    "ModelRecord",
    "Origin",
    "Redefinition",
    "SurfaceForm",
    "alias_key",
    "catalog_files",
    "check_catalog",
    "listing_forms",
    "load_catalog",
    "read_catalog_file",
]
