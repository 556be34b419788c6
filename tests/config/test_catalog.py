"""The entity catalog: the bundled data, the loader (overrides, errors) and the checks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from config.catalog import (
    BUNDLED_DIR,
    COMMON_WORDS,
    Catalog,
    CatalogProblem,
    CompanyRecord,
    ModelRecord,
    alias_key,
    check_catalog,
    listing_forms,
    load_catalog,
)
from config.loading import ConfigError


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def model(model_id: str, name: str, developer: str, extra: str = "") -> str:
    return (f'[[model]]\nid = "{model_id}"\nname = "{name}"\ndeveloper = "{developer}"\n'
            f'kind = "llm"\n{extra}\n')


def company(company_id: str, name: str, extra: str = "") -> str:
    return f'[[company]]\nid = "{company_id}"\nname = "{name}"\nkind = "startup"\n{extra}\n'


def problems_of(tmp_path: Path, text: str) -> list[CatalogProblem]:
    return check_catalog(load_catalog(write(tmp_path / "c.toml", text), bundled=False))


def messages(problems: list[CatalogProblem], severity: str) -> list[str]:
    return [f"{p.entity_id}: {p.message}" for p in problems if p.severity == severity]


# --- The bundled data ---------------------------------------------------------------------------


def test_bundled_catalog_is_large_enough(catalog: Catalog) -> None:
    assert len(catalog.models) >= 300
    assert len(catalog.companies) >= 150
    developers = {m.developer for m in catalog.models}
    assert {"openai", "anthropic", "google-deepmind", "meta", "xai", "mistral-ai", "deepseek",
            "alibaba-cloud", "microsoft-research", "amazon-agi", "nvidia", "cohere", "baidu",
            "moonshot-ai", "zhipu-ai", "minimax", "stability-ai", "black-forest-labs",
            "midjourney", "runway", "apple", "ibm", "tencent", "bytedance-seed"} <= developers


def test_bundled_catalog_has_no_problems_at_all(catalog: Catalog) -> None:
    assert [str(problem) for problem in check_catalog(catalog)] == []
    assert catalog.redefinitions == ()  # no id is defined twice across the bundled files


def test_every_developer_and_parent_resolves(catalog: Catalog) -> None:
    company_ids = {c.id for c in catalog.companies}
    assert {m.developer for m in catalog.models} <= company_ids
    assert {c.parent for c in catalog.companies if c.parent} <= company_ids
    assert all(c.country for c in catalog.companies)


def test_the_seed_article_entities(catalog: Catalog) -> None:
    spark = catalog.model("meta/muse-spark")
    assert (spark.name, spark.family, spark.developer) == ("Muse Spark", "Muse", "meta")
    assert catalog.company("meta-superintelligence-labs").parent == "meta"
    meta = catalog.company("meta")
    assert (meta.ticker, meta.exchange, meta.kind) == ("META", "NASDAQ", "big_tech")
    for name in ("OpenAI", "Google", "Anthropic", "Llama", "Meta AI", "Muse"):
        assert len(catalog.find(name)) == 1, name
    assert spark in catalog.models_by("meta")


def test_divisions_link_to_their_parents(catalog: Catalog) -> None:
    assert catalog.company("google-deepmind").parent == "alphabet"
    assert catalog.company("google").parent == "alphabet"
    assert catalog.company("aws").parent == "amazon"
    assert catalog.company("azure").parent == "microsoft"
    assert catalog.company("alibaba-cloud").parent == "alibaba"
    assert [c.id for c in catalog.ancestors("meta-fair")] == ["meta-superintelligence-labs", "meta"]
    assert {"google", "google-deepmind", "google-cloud", "waymo"} <= {
        c.id for c in catalog.descendants("alphabet")}
    gemini_3 = catalog.model("google/gemini-3-pro")
    assert gemini_3 not in catalog.models_by("alphabet")
    assert gemini_3 in catalog.models_by("alphabet", include_children=True)


def test_tickers(catalog: Catalog) -> None:
    nvidia = catalog.company("nvidia")
    assert (nvidia.ticker, nvidia.exchange) == ("NVDA", "NASDAQ")
    alphabet = catalog.company("alphabet")
    assert [(x.ticker, x.exchange) for x in alphabet.all_listings] == [
        ("GOOGL", "NASDAQ"), ("GOOG", "NASDAQ")]
    for symbol in ("META", "$META", "meta", "NASDAQ: META", "Nasdaq:META"):
        assert catalog.by_ticker(symbol) == catalog.company("meta"), symbol
    assert catalog.by_ticker("GOOG") == catalog.by_ticker("GOOGL") == alphabet
    for symbol in ("9988.HK", "HKG: 9988", "BABA", "NYSE: BABA"):
        assert catalog.by_ticker(symbol) == catalog.company("alibaba"), symbol
    assert catalog.by_ticker("2330.TW") == catalog.by_ticker("TSM") == catalog.company("tsmc")
    assert catalog.by_ticker("9984", exchange="TSE") == catalog.company("softbank-group")
    assert catalog.by_ticker("NYSE: META") is None  # META is listed on Nasdaq
    assert catalog.by_ticker("ZZZZ") is None


def test_company_query_forms_for_meta(catalog: Catalog) -> None:
    forms = {f.text for f in catalog.surface_forms() if f.entity_id == "meta"}
    assert {"Meta", "Meta Platforms", "Meta Platforms Inc.", "Facebook parent",
            "$META", "NASDAQ: META"} <= forms
    for text in ("Meta", "Meta Platforms", "Facebook parent", "$META", "NASDAQ: META"):
        assert [e.id for e in catalog.find(text)] == ["meta"], text


@pytest.mark.parametrize(("text", "entity_id"), [
    ("GPT-4o", "openai/gpt-4o"), ("gpt-4o", "openai/gpt-4o"), ("GPT4o", "openai/gpt-4o"),
    ("GPT 4o", "openai/gpt-4o"), ("GPT-4o mini", "openai/gpt-4o-mini"),
    ("GPT-5", "openai/gpt-5"), ("GPT5", "openai/gpt-5"), ("gpt-5", "openai/gpt-5"),
    ("o3-mini", "openai/o3-mini"), ("gpt-oss-120b", "openai/gpt-oss-120b"),
    ("DALL-E 3", "openai/dall-e-3"), ("DALL·E 3", "openai/dall-e-3"),
    ("Claude 3.5 Sonnet", "anthropic/claude-3.5-sonnet"),
    ("Claude Sonnet 3.5", "anthropic/claude-3.5-sonnet"),
    ("claude-3-5-sonnet", "anthropic/claude-3.5-sonnet"),
    ("Claude Sonnet 4.5", "anthropic/claude-sonnet-4.5"),
    ("Claude 4.5 Sonnet", "anthropic/claude-sonnet-4.5"),
    ("Claude Opus 4.1", "anthropic/claude-opus-4.1"),
    ("Llama 4 Scout", "meta/llama-4-scout"), ("Llama-4-Scout", "meta/llama-4-scout"),
    ("Llama 3.1 405B", "meta/llama-3.1-405b"),
    ("Gemini 2.5 Pro", "google/gemini-2.5-pro"), ("gemini-2.5-pro", "google/gemini-2.5-pro"),
    ("Nano Banana", "google/gemini-2.5-flash-image"),
    ("DeepSeek R1", "deepseek/deepseek-r1"), ("DeepSeek-V3", "deepseek/deepseek-v3"),
    ("Qwen 2.5", "alibaba/qwen2.5"), ("Mixtral 8x7B", "mistral/mixtral-8x7b"),
    ("Grok 4", "xai/grok-4"), ("Kimi K2", "moonshot/kimi-k2"), ("GLM-4.5", "zhipu/glm-4.5"),
    ("SDXL", "stability/sdxl"), ("FLUX.1 Kontext", "bfl/flux-1-kontext"),
    ("Midjourney V7", "midjourney/v7"), ("Gen-3 Alpha", "runway/gen-3-alpha"),
    ("Muse Spark", "meta/muse-spark"), ("meta/muse-spark", "meta/muse-spark"),
    ("Meta Superintelligence Labs", "meta-superintelligence-labs"),
    ("DeepMind", "google-deepmind"), ("Amazon Web Services", "aws"), ("Anysphere", "cursor"),
])
def test_aliases_resolve(catalog: Catalog, text: str, entity_id: str) -> None:
    assert [entity.id for entity in catalog.find(text)] == [entity_id]


@pytest.mark.parametrize("entity_id", [
    "google/gemini", "anthropic/claude", "meta/llama", "xai/grok", "microsoft/phi",
    "cohere/command", "ai21/jamba", "meta/muse", "openai/o1", "openai/o3", "openai/gpt",
    "apple", "amazon", "oracle", "arm", "alphabet", "snowflake", "perplexity", "runway",
])
def test_names_that_are_ordinary_words_need_context(catalog: Catalog, entity_id: str) -> None:
    entity = catalog.get(entity_id)
    assert entity is not None and entity.ambiguous


@pytest.mark.parametrize(("entity_id", "word"), [
    ("meta/muse-spark", "Spark"), ("amazon/nova", "Nova"), ("scale-ai", "Scale"),
    ("character-ai", "Character"), ("meta/segment-anything", "SAM"),
    ("anthropic/claude-sonnet", "Sonnet"), ("meta-superintelligence-labs", "MSL"),
])
def test_ordinary_word_aliases_need_context(catalog: Catalog, entity_id: str, word: str) -> None:
    entity = catalog.get(entity_id)
    assert entity is not None and word in entity.ambiguous_aliases
    assert word not in entity.aliases


def test_unambiguous_names_stay_unambiguous(catalog: Catalog) -> None:
    clear = ("meta", "openai", "nvidia", "meta/muse-spark", "openai/gpt-4o", "openai/sora")
    for entity_id in clear:
        entity = catalog.get(entity_id)
        assert entity is not None and not entity.ambiguous, entity_id


def test_records_and_catalog_are_frozen(catalog: Catalog) -> None:
    with pytest.raises(Exception, match="frozen"):
        catalog.model("meta/muse-spark").name = "Muse Flame"
    with pytest.raises(AttributeError):
        catalog.models = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        catalog.origins["x"] = catalog.origins["meta"]  # type: ignore[index]


def test_loading_is_fast() -> None:
    started = time.perf_counter()
    loaded = load_catalog()
    check_catalog(loaded)
    assert time.perf_counter() - started < 1.0


def test_bundled_files_are_split_by_developer_and_group() -> None:
    names = {path.relative_to(BUNDLED_DIR).as_posix() for path in BUNDLED_DIR.rglob("*.toml")}
    assert {"models/openai.toml", "models/anthropic.toml", "models/google.toml",
            "models/meta.toml", "companies/big-tech.toml"} <= names


def test_listing_forms(catalog: Catalog) -> None:
    meta, alibaba = catalog.company("meta"), catalog.company("alibaba")
    assert {"NASDAQ: META", "NASDAQ:META", "$META"} <= set(listing_forms(meta.all_listings[0]))
    hong_kong = listing_forms(alibaba.all_listings[1])
    assert "9988.HK" in hong_kong and "HKG: 9988" in hong_kong and "$9988" not in hong_kong


def test_alias_key_treats_separators_and_case_alike() -> None:
    assert alias_key("GPT-4o") == alias_key("gpt 4o") == alias_key("GPT_4o") == "gpt 4o"
    assert alias_key("DALL·E 3") == alias_key("DALL-E 3")
    assert alias_key("Claude 3.5") != alias_key("Claude 35")
    assert "apple" in COMMON_WORDS and "openai" not in COMMON_WORDS


# --- User files: additions, overrides, errors ---------------------------------------------------


def test_user_files_add_entries_and_override_by_id(tmp_path: Path) -> None:
    user = tmp_path / "entities"
    write(user / "models" / "mine.toml", model(
        "acme/rocket-1", "Rocket-1", "acme", 'aliases = ["Rocket 1"]\nreleased = "2026-03"'))
    write(user / "companies.toml", company("acme", "Acme AI", 'country = "US"') + company(
        "meta", "Meta", 'ticker = "META"\nexchange = "NASDAQ"\n'
        'aliases = ["Meta Platforms", "The Zuck Company"]'))
    loaded = load_catalog(user)
    assert loaded.model("acme/rocket-1").developer == "acme"
    assert [e.id for e in loaded.find("rocket 1")] == ["acme/rocket-1"]
    meta = loaded.company("meta")
    assert meta.aliases == ("Meta Platforms", "The Zuck Company")  # the whole entry is replaced
    assert meta.kind == "startup"
    assert loaded.origins["meta"].path == user / "companies.toml"
    assert loaded.origins["meta"].layer == 1
    assert len(loaded.companies) == len(load_catalog().companies) + 1
    assert check_catalog(loaded) == []  # replacing across layers is the feature, not a problem


def test_the_fingerprint_follows_the_content(tmp_path: Path, catalog: Catalog) -> None:
    assert catalog.fingerprint == load_catalog().fingerprint
    assert len(catalog.fingerprint) == 16
    extra = write(tmp_path / "extra.toml", company("acme", "Acme"))
    assert load_catalog(extra).fingerprint != catalog.fingerprint


def test_later_paths_win_and_files_can_be_given_directly(tmp_path: Path) -> None:
    first = write(tmp_path / "a.toml", company("acme", "Acme One"))
    second = write(tmp_path / "b.toml", company("acme", "Acme Two"))
    assert load_catalog(first, second, bundled=False).company("acme").name == "Acme Two"
    assert load_catalog(second, first, bundled=False).company("acme").name == "Acme One"


@pytest.mark.parametrize(("entry", "fragment"), [
    (model("acme/x", "X One", "acme", "colour = 'red'"), "colour"),
    (model("acme/x", "X One", "acme").replace('"llm"', '"chatbot"'), "kind"),
    (model("acme/x", "X One", "acme", 'released = "March 2025"'), "released"),
    (model("Acme X", "X One", "acme"), "id"),
    (model("acme/x", "   ", "acme"), "name"),
    (company("acme", "Acme", 'ticker = "ACME"'), "ticker and exchange"),
    (company("acme", "Acme", 'country = "usa"'), "country"),
])
def test_invalid_entries_name_the_file_and_the_entry(
    tmp_path: Path, entry: str, fragment: str
) -> None:
    path = write(tmp_path / "bad.toml", company("ok", "Fine Co") + entry)
    with pytest.raises(ConfigError) as caught:
        load_catalog(path, bundled=False)
    message = str(caught.value)
    assert str(path) in message and fragment in message
    assert "#2" in message or "#1" in message


def test_unknown_tables_and_missing_paths_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.toml", '[[models]]\nid = "acme/x"\n')
    with pytest.raises(ConfigError, match=r"unknown table\(s\) models"):
        load_catalog(path, bundled=False)
    with pytest.raises(ConfigError, match="not found"):
        load_catalog(tmp_path / "nowhere", bundled=False)
    with pytest.raises(ConfigError, match="cannot read"):
        load_catalog(write(tmp_path / "broken.toml", "[[model]\n"), bundled=False)


# --- The checks, one kind of problem at a time --------------------------------------------------

CHECK_CASES: list[tuple[str, str, str]] = [
    (model("acme/x", "X One", "nobody"), "error", "unknown developer 'nobody'"),
    (company("a", "A Co", 'parent = "nobody"'), "error", "unknown parent 'nobody'"),
    (company("a", "A Co", 'parent = "b"') + company("b", "B Co", 'parent = "a"'),
     "error", "parent cycle: a -> b -> a"),
    (company("a", "A Co") + company("a", "A Co again"), "error", "defined twice in"),
    (company("a", "A Co", 'aliases = ["Acme"]') + company("b", "B Co", 'aliases = ["ACME"]'),
     "error", "name 'acme' is used by a, b"),
    (company("a", "A Co", 'aliases = ["GPT-4o"]') + company("b", "B Co", 'aliases = ["gpt 4o"]'),
     "error", "name 'gpt 4o' is used by a, b"),
    (company("a", "Acme", "ambiguous = true")
     + company("b", "B Co", 'ambiguous_aliases = ["Acme"]'),
     "warning", "ambiguous name 'acme' is shared by a, b"),
    (company("a", "A Co", 'ticker = "AC"\nexchange = "NYSE"')
     + company("b", "B Co", 'ticker = "AC"\nexchange = "NYSE"'),
     "error", "ticker AC is shared by a, b on the same exchange"),
    (company("a", "A Co", 'ticker = "AC"\nexchange = "NYSE"')
     + company("b", "B Co", 'ticker = "AC"\nexchange = "LSE"'),
     "warning", "ticker AC is shared by a, b on different exchanges"),
    (company("a", "A Co", 'ticker = "AC"\nexchange = "Moon Exchange"'),
     "warning", "unknown exchange 'Moon Exchange'"),
    (company("a", "Apple"), "warning", "'Apple' is an ordinary word"),
    (company("a", "A Co", 'aliases = ["Scale"]'), "warning", "'Scale' is an ordinary word"),
    (company("a", "---"), "error", "empty name or alias '---'"),
    (company("a", "A Co", 'aliases = ["Acme"]\nambiguous_aliases = ["acme"]'),
     "warning", "'acme' is listed both as ambiguous and as unambiguous"),
]


@pytest.mark.parametrize(("text", "severity", "expected"), CHECK_CASES)
def test_check_catches_each_kind_of_problem(
    tmp_path: Path, text: str, severity: str, expected: str
) -> None:
    problems = problems_of(tmp_path, text)
    assert any(expected in line for line in messages(problems, severity)), problems


def test_check_passes_clean_data_and_ambiguous_words(tmp_path: Path) -> None:
    text = (company("acme", "Apple", "ambiguous = true") + company("b", "B Co", 'parent = "acme"')
            + model("acme/x", "X One", "acme", 'ambiguous_aliases = ["Spark"]'))
    assert problems_of(tmp_path, text) == []


def test_same_ticker_on_two_exchanges_of_one_company_is_fine(tmp_path: Path) -> None:
    text = company("a", "A Co", 'ticker = "AC"\nexchange = "Euronext Amsterdam"\n'
                   'listings = [{ ticker = "AC", exchange = "NASDAQ" }]')
    assert problems_of(tmp_path, text) == []


def test_same_id_in_two_files_of_one_directory_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.toml", company("acme", "Acme One"))
    write(tmp_path / "d" / "b.toml", company("acme", "Acme Two"))
    problems = check_catalog(load_catalog(tmp_path / "d", bundled=False))
    assert [p.severity for p in problems] == ["warning"]
    assert "again in" in problems[0].message and problems[0].entity_id == "acme"


def test_errors_come_before_warnings(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, company("a", "Apple") + model("acme/x", "X One", "nobody"))
    assert [p.severity for p in problems] == ["error", "warning"]


def test_a_catalog_can_be_built_from_records() -> None:
    acme = CompanyRecord(id="acme", name="Acme", kind="startup")
    rocket = ModelRecord(id="acme/rocket", name="Rocket", developer="acme", kind="llm")
    built = Catalog(models=(rocket,), companies=(acme,))
    assert built.models_by("acme") == (rocket,)
    assert check_catalog(built) == []
