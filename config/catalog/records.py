"""The catalog's records: what a model, a company and a stock listing are, validated strictly.

One ``[[model]]`` or ``[[company]]`` table of a catalog file becomes one frozen record here
(pydantic, unknown keys refused). Also the name comparison rule (:func:`alias_key`) and the table
of stock exchanges with the ways articles write a listing (``NASDAQ: META``, ``$META``,
``9988.HK``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    field_validator,
    model_validator,
)

COMPANY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}/[a-z0-9][a-z0-9._-]{0,80}$")
_RELEASED = re.compile(r"^(19[5-9]\d|20\d\d)(-(0[1-9]|1[0-2]))?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.-]{0,11}$")
_SEPARATORS = re.compile(r"[\s\-_·‧‐‑–—]+")

ModelKind = Literal[
    "llm", "multimodal", "reasoning", "code", "image", "video", "audio", "speech", "music",
    "embedding", "vision", "3d", "world", "robotics", "protein", "science", "weather", "game",
    "agent", "assistant", "safety", "family",
]
CompanyKind = Literal[
    "ai_lab", "big_tech", "chipmaker", "hardware", "cloud", "datacenter", "startup", "software",
    "robotics", "investor", "regulator", "government", "research", "energy", "media",
]
EntityType = Literal["model", "company"]


class Exchange(NamedTuple):
    """How articles write a listing: ``NASDAQ: META``, ``$META``, ``9988.HK``."""

    prefixes: tuple[str, ...]
    suffix: str | None
    dollar: bool


EXCHANGES: Mapping[str, Exchange] = MappingProxyType({
    "NASDAQ": Exchange(("NASDAQ",), None, True),
    "NYSE": Exchange(("NYSE",), None, True),
    "NYSE American": Exchange(("NYSE American", "NYSEAMERICAN"), None, True),
    "OTC": Exchange(("OTC", "OTCMKTS"), None, True),
    "HKEX": Exchange(("HKEX", "HKG", "SEHK"), "HK", False),
    "SSE": Exchange(("SSE", "SHA"), "SS", False),
    "SZSE": Exchange(("SZSE", "SHE"), "SZ", False),
    "TSE": Exchange(("TSE", "TYO"), "T", False),
    "KRX": Exchange(("KRX",), "KS", False),
    "TWSE": Exchange(("TWSE", "TPE"), "TW", False),
    "Euronext Amsterdam": Exchange(("AMS", "Euronext Amsterdam"), "AS", False),
    "Euronext Paris": Exchange(("EPA", "Euronext Paris"), "PA", False),
    "XETRA": Exchange(("ETR", "XETRA", "FRA"), "DE", False),
    "LSE": Exchange(("LSE", "LON"), "L", False),
    "SIX": Exchange(("SIX", "SWX"), "SW", False),
    "TSX": Exchange(("TSX",), "TO", False),
    "ASX": Exchange(("ASX",), "AX", False),
    "NSE": Exchange(("NSE",), "NS", False),
})


def alias_key(text: str) -> str:
    """The form names are compared in: case-folded, runs of spaces, hyphens, dots-as-in-DALL·E and
    underscores collapsed to one space (``GPT-4o``, ``gpt 4o`` and ``GPT_4o`` share one key)."""
    return _SEPARATORS.sub(" ", text.replace("’", "'").casefold()).strip()


def _clean(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("must not be empty")
    return cleaned


def _ticker(value: object) -> object:
    if isinstance(value, str):
        value = value.strip().lstrip("$").upper()
        if not _TICKER.match(value):
            raise ValueError(f"not a ticker: {value!r}")
    return value


Text = Annotated[str, AfterValidator(_clean)]
Ticker = Annotated[str, BeforeValidator(_ticker)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Record(_Frozen):
    """What models and companies share: a stable id, a canonical name and the other names."""

    id: str
    name: Text
    aliases: tuple[Text, ...] = ()
    ambiguous: bool = False
    ambiguous_aliases: tuple[Text, ...] = ()
    note: str | None = None

    def names(self) -> tuple[tuple[str, bool], ...]:
        """Every name as ``(text, needs_context)``: the name, the aliases, the ambiguous aliases."""
        return (
            (self.name, self.ambiguous),
            *((alias, False) for alias in self.aliases),
            *((alias, True) for alias in self.ambiguous_aliases),
        )


class ModelRecord(_Record):
    """An AI model, a model family or an AI product (assistant, agent), made by ``developer``."""

    family: Text | None = None
    developer: str
    kind: ModelKind
    released: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not MODEL_ID.match(value):
            raise ValueError("a model id is 'namespace/slug' in lowercase, e.g. 'meta/muse-spark'")
        return value

    @field_validator("developer")
    @classmethod
    def _check_developer(cls, value: str) -> str:
        if not COMPANY_ID.match(value):
            raise ValueError("the developer is a company id: lowercase letters, digits and '-'")
        return value

    @field_validator("released")
    @classmethod
    def _check_released(cls, value: str | None) -> str | None:
        if value is not None and not _RELEASED.match(value):
            raise ValueError("write the release as YYYY or YYYY-MM")
        return value


class Listing(_Frozen):
    """One stock listing: a ticker on an exchange (``META`` on ``NASDAQ``)."""

    ticker: Ticker
    exchange: Text


class CompanyRecord(_Record):
    """A company or organisation; ``parent`` links a division to its owner."""

    kind: CompanyKind
    country: str | None = None
    parent: str | None = None
    ticker: Ticker | None = None
    exchange: Text | None = None
    listings: tuple[Listing, ...] = ()
    products: tuple[Text, ...] = ()
    """Its products, services and chips that are not AI models (``WhatsApp``, ``Chrome``,
    ``Blackwell``): never an organisation, however the statistical NER labels them."""

    @field_validator("id", "parent")
    @classmethod
    def _check_company_id(cls, value: str | None) -> str | None:
        if value is not None and not COMPANY_ID.match(value):
            raise ValueError("a company id is lowercase letters, digits and '-', e.g. 'meta'")
        return value

    @field_validator("country")
    @classmethod
    def _check_country(cls, value: str | None) -> str | None:
        if value is not None and not _COUNTRY.match(value):
            raise ValueError("use a two-letter ISO 3166 code such as 'US' (or 'EU')")
        return value

    @model_validator(mode="after")
    def _check_primary_listing(self) -> CompanyRecord:
        if (self.ticker is None) != (self.exchange is None):
            raise ValueError("give both ticker and exchange for the primary listing, or neither")
        if self.listings and self.ticker is None:
            raise ValueError("extra listings need a primary ticker and exchange first")
        return self

    @property
    def all_listings(self) -> tuple[Listing, ...]:
        """The primary listing first, then the others."""
        if self.ticker is None or self.exchange is None:
            return ()
        primary = Listing(ticker=self.ticker, exchange=self.exchange)
        return (primary, *self.listings)


Entity = ModelRecord | CompanyRecord


def listing_forms(listing: Listing) -> tuple[str, ...]:
    """How articles write a listing: ``NASDAQ: META``, ``NASDAQ:META``, ``$META``, ``9988.HK``."""
    market = EXCHANGES.get(listing.exchange)
    prefixes = market.prefixes if market else (listing.exchange,)
    forms = [f"{prefix}{sep}{listing.ticker}" for prefix in prefixes for sep in (": ", ":")]
    if market is not None and market.dollar and listing.ticker.isalpha():
        forms.append(f"${listing.ticker}")
    if market is not None and market.suffix:
        forms.append(f"{listing.ticker}.{market.suffix}")
    return tuple(forms)


@dataclass(frozen=True)
class SurfaceForm:
    """One string the tagger looks for and the entity it stands for."""

    text: str
    entity_id: str
    entity_type: EntityType
    ambiguous: bool
    source: Literal["name", "alias", "ticker"]


