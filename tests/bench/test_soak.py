"""``bench/soak.py`` runs a few accelerated cycles end to end and prints its memory figures.

The sample site, SMTP sink and webhook receiver run in the soak's child process on 127.0.0.1;
the test checks the figures are there and that articles, alerts and deliveries flowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import SoakOptions, parse_options, slope, soak, vocabulary_size, workers_kib


@pytest.mark.slow
def test_a_short_soak_crawls_processes_delivers_and_prints_memory_per_block(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    report = soak(SoakOptions(blocks=2, cycles=1, stories_per_cycle=6, ner=False,
                              home=tmp_path / "home"), lines.append)
    assert report.failures == []
    first, second = report.figures
    assert 0 < first.articles < second.articles <= 2 * 6
    assert second.stories > first.stories and second.alerts > first.alerts
    assert second.sent > 0
    assert first.rss_kib > 0 and second.allocated_blocks > 0
    output = "\n".join(lines)
    assert "RSS MiB" in output and "baseline (after block 1)" in output
    assert "sample site:" in output and "webhook posts" in output


def test_options_and_the_growth_slope() -> None:
    options = parse_options(["--blocks", "3", "--cycles", "4", "--rules-only", "--tracemalloc"])
    assert (options.blocks, options.cycles, options.ner, options.trace) == (3, 4, False, True)
    assert slope([1, 2, 3], [10, 12, 14]) == 2.0
    assert slope([1], [5]) == 0.0


def test_the_tagging_workers_memory_is_measured_beside_the_process(tmp_path: Path) -> None:
    from config import Settings
    from config.settings import NlpSettings
    from newsmon.app import App

    for processes, expect_workers in ((2, True), (0, False)):
        settings = Settings(home=tmp_path / str(processes),
                            nlp=NlpSettings(ner_model="", processes=processes))
        with App.from_settings(settings, upgrade=True) as application:
            _ = application.article_tagger
            assert (workers_kib(application) > 50 * 1024) is expect_workers
            assert (vocabulary_size(application) is None) is expect_workers
