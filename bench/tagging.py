"""Benchmark: the tagger's accuracy on the development set, and its speed next to bare spaCy.

Accuracy: :class:`pipeline.nlp.tagger.Tagger`, rules-only and with the statistical NER, tags the
sentences of ``tests/data/tagging/dev.jsonl``; :mod:`bench.tagging_metric` scores mentions per
type and stock reactions (micro-averaged). ``--errors`` lists each sentence's false positives and
false negatives.

Speed: words per second on one core over a few hundred KB of article text (the development
sentences grouped into articles, plus the seed article), for the two taggers next to spaCy's bare
tokenizer (``spacy.blank("en")``) and the bare statistical NER, each timed in the same run (a
warm-up, then the best of ``--repeat`` passes taken in turns). Goals: rules-only at least 50% of
the tokenizer's speed, with NER at least 90% of bare NER's. Reference rows run the same spaCy
pipelines with a ``memory_zone`` per batch, as the tagger does, to show what that costs. The same
table follows for a reference corpus of real article bodies (the shared extraction benchmark, read
at run time) each with a tagged AI story spliced in: ordinary text, about 1.4 entity mentions per
100 words where the development corpus has 10 and the seed article 6.4, and no repeated
sentences (the repeated development sentences let the bare tokenizer answer almost every word
from its cache). The tagger's cost grows with its mentions, so the two corpora bracket real AI
coverage; the goals are judged on the denser one. A reference row times spaCy's tokenizer with
an ``EntityRuler`` holding the catalog's patterns and nothing else (the component the issue
specifies), and one with its successor the ``SpanRuler`` (which the tagger's rulers are): no
rules-only tagger built on them can be faster, so their ratios are the ceiling the rules-only
goal is measured against (printed under each table). Memory: the resident set of a
fresh process after building each pipeline.

    python bench/tagging.py [--errors] [--no-ner] [--no-speed] [--kb 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.tagging_devset import DEVSET  # noqa: E402
from bench.tagging_metric import (  # noqa: E402
    ENTITY_TYPES,
    STOCK,
    Annotation,
    CompanyKey,
    Counts,
    EntitySpan,
    GoldSentence,
    Reaction,
    Score,
    SentenceScore,
    load_devset,
    name_key,
    score_devset,
)
from config.catalog import Catalog, load_catalog  # noqa: E402
from config.settings import NlpSettings  # noqa: E402

if TYPE_CHECKING:
    from spacy.language import Language

    from pipeline.nlp.types import TagResult

SEED_ARTICLE = REPO_ROOT.parent / "shared" / "seed" / "muse-spark-article.txt"
NER_PACKAGE = NlpSettings().ner_model
OTHER_COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
"""Excluded for bare NER: its ``ner`` component embeds its own tok2vec, so the shared one would
be computed and never used."""
SENTENCES_PER_ARTICLE = 12
SENTENCES_PER_PARAGRAPH = 3

Runner = Callable[[Sequence[str]], object]


@dataclass(frozen=True)
class Pipeline:
    """One thing to time: how to build it, and the baseline its speed is compared with."""

    key: str
    title: str
    build: Callable[[], Runner]
    baseline: str | None = None
    goal: float | None = None
    needs_ner: bool = False
    measure_memory: bool = True


@dataclass(frozen=True)
class Timing:
    """The best pass of one pipeline."""

    pipeline: Pipeline
    words: int
    seconds: float

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


# --- pipelines ---------------------------------------------------------------------------------


def build_tokenizer(*, zoned: bool = False) -> Runner:
    """spaCy's tokenizer alone."""
    import spacy

    return _spacy_runner(spacy.blank("en"), zoned=zoned)


def build_entity_ruler(kind: str = "entity_ruler") -> Runner:
    """spaCy's tokenizer and a ruler holding the catalog's name patterns (matched on lower case,
    as the tagger's catalog ruler): the ``EntityRuler`` the issue specifies, or its successor
    the ``SpanRuler`` (``kind="span_ruler"``) that the tagger's rulers are built on; none of
    newsmon's own work (context, linking, stock reactions) and no memory zone."""
    import spacy
    from spacy.pipeline import EntityRuler, SpanRuler

    from pipeline.nlp.catalog_patterns import build_name_table

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe(kind, config={"phrase_matcher_attr": "LOWER"})
    assert isinstance(ruler, EntityRuler | SpanRuler)
    ruler.add_patterns([dict(pattern) for pattern in build_name_table(load_catalog()).patterns])
    return _spacy_runner(nlp, zoned=False)


def build_bare_ner(*, zoned: bool = False) -> Runner:
    """The statistical NER package with only its ``ner`` component."""
    import spacy

    nlp = spacy.load(NER_PACKAGE, exclude=list(OTHER_COMPONENTS))
    return _spacy_runner(nlp, zoned=zoned)


def _spacy_runner(nlp: Language, *, zoned: bool) -> Runner:
    """``nlp.pipe`` over the texts; ``zoned``: each batch inside its own ``memory_zone`` (strings
    and tokenizer cache entries made in it are dropped at its end, as the tagger does)."""
    size = NlpSettings().batch_size

    def run(texts: Sequence[str]) -> object:
        return deque(nlp.pipe(texts, batch_size=size), maxlen=0)

    def run_zoned(texts: Sequence[str]) -> object:
        for start in range(0, len(texts), size):
            with nlp.memory_zone():
                deque(nlp.pipe(texts[start : start + size], batch_size=size), maxlen=0)
        return None

    return run_zoned if zoned else run


def build_tagger(*, with_ner: bool) -> Runner:
    """The newsmon tagger, rules-only or with the statistical NER; returns ``tag_many``."""
    from pipeline.nlp.tagger import Tagger

    settings = NlpSettings() if with_ner else NlpSettings(ner_model="")
    return Tagger.build(load_catalog(), settings).tag_many


PIPELINES = (
    Pipeline("tokenizer", 'spaCy tokenizer, spacy.blank("en")', build_tokenizer),
    Pipeline("tokenizer-zoned", "  the same, a memory_zone per batch (reference)",
             lambda: build_tokenizer(zoned=True), baseline="tokenizer", measure_memory=False),
    Pipeline("entity-ruler", "  + spaCy EntityRuler, catalog patterns (reference)",
             build_entity_ruler, baseline="tokenizer", measure_memory=False),
    Pipeline("span-ruler", "  + spaCy SpanRuler, catalog patterns (reference)",
             lambda: build_entity_ruler("span_ruler"), baseline="tokenizer",
             measure_memory=False),
    Pipeline("rules", "newsmon Tagger, rules only", lambda: build_tagger(with_ner=False),
             baseline="tokenizer", goal=0.5),
    Pipeline("ner", f"spaCy {NER_PACKAGE}, ner only", build_bare_ner, needs_ner=True),
    Pipeline("ner-zoned", "  the same, a memory_zone per batch (reference)",
             lambda: build_bare_ner(zoned=True), baseline="ner", needs_ner=True,
             measure_memory=False),
    Pipeline("tagger-ner", "newsmon Tagger with NER", lambda: build_tagger(with_ner=True),
             baseline="ner", goal=0.9, needs_ner=True),
)
TAGGERS = ("rules", "tagger-ner")


# --- accuracy ----------------------------------------------------------------------------------


def to_annotation(result: TagResult) -> Annotation:
    """The tagger's output as plain values the metric compares."""
    entities = tuple(
        EntitySpan(str(item.type), item.start, item.end, item.text, item.canonical)
        for item in result.entities
    )
    reactions = tuple(
        Reaction(item.company, str(item.direction), item.magnitude_pct)
        for item in result.stock_reactions
    )
    return Annotation(entities, reactions)


def listed_company_key(catalog: Catalog) -> CompanyKey:
    """Compare stock reactions by listed company: "Google shares" count as Alphabet's, AWS's as
    Amazon's (the nearest of the company and its ancestors that has a listing)."""
    roots: dict[str, str] = {}
    for company in catalog.companies:
        chain = (company, *catalog.ancestors(company.id))
        listed = next((item for item in chain if item.all_listings), company)
        roots[name_key(company.name)] = name_key(listed.name)

    def key(name: str) -> str:
        normal = name_key(name)
        return roots.get(normal, normal)

    return key


def evaluate(
    tag_many: Runner, sentences: Sequence[GoldSentence], company_key: CompanyKey
) -> tuple[Score, list[SentenceScore]]:
    """Tag every development sentence in one batch and score the results."""
    results = tag_many([sentence.text for sentence in sentences])
    if not isinstance(results, list):
        raise TypeError("tag_many must return a list of TagResult")
    return score_devset(sentences, [to_annotation(item) for item in results], company_key)


def render_accuracy(title: str, score: Score, console: Console) -> None:
    """One table: precision, recall, F1 and the counts per type, then stock reactions."""
    table = Table(title=f"{title}: {score.sentences} sentences, micro-averaged")
    for column in ("label", "precision", "recall", "F1", "TP", "FP", "FN"):
        table.add_column(column, justify="left" if column == "label" else "right")
    rows: list[tuple[str, Counts]] = [(label, score.of(label)) for label in ENTITY_TYPES]
    rows += [("all entities", score.entities), ("stock reactions", score.of(STOCK))]
    for label, counts in rows:
        table.add_row(
            label, f"{counts.precision:.3f}", f"{counts.recall:.3f}", f"{counts.f1:.3f}",
            str(counts.tp), str(counts.fp), str(counts.fn),
            end_section=label == "all entities",
        )
    console.print(table)
    console.print(
        f"Stock-reaction magnitude: {score.magnitudes_correct} of {score.magnitudes_checked} "
        f"matched reactions with a stated size right ({score.magnitude_accuracy:.1%}, "
        "within 0.05 points)."
    )


def show_errors(
    title: str, sentences: Sequence[GoldSentence], scores: Sequence[SentenceScore],
    console: Console,
) -> None:
    """Each sentence's false positives and false negatives."""
    console.rule(f"Errors: {title}")
    for sentence, score in zip(sentences, scores, strict=True):
        if not score.false_positives and not score.false_negatives:
            continue
        console.print(f"[bold]{sentence.id}[/bold] {escape(sentence.text)}", highlight=False)
        for item in score.false_positives:
            console.print(f"    [red]FP[/red] {escape(str(item))}", highlight=False)
        for item in score.false_negatives:
            console.print(f"    [yellow]FN[/yellow] {escape(str(item))}", highlight=False)


# --- speed and memory --------------------------------------------------------------------------


def speed_corpus(sentences: Sequence[str], seed: str, kilobytes: int) -> list[str]:
    """Articles of about a dozen development sentences (shuffled anew each round) plus the seed
    article, repeated until the texts hold ``kilobytes`` thousand characters."""
    rng = random.Random(0)
    texts: list[str] = []
    size = 0
    while size < kilobytes * 1000:
        order = list(sentences)
        rng.shuffle(order)
        for start in range(0, len(order), SENTENCES_PER_ARTICLE):
            texts.append(_article(order[start : start + SENTENCES_PER_ARTICLE]))
            size += len(texts[-1])
        if seed:
            texts.append(seed)
            size += len(seed)
    return texts


def news_corpus(kilobytes: int) -> list[str]:
    """Real article bodies (the shared extraction benchmark, read now) each with a few tagged
    development sentences about one story spliced in; empty without the shared data."""
    from bench.matching_data import build_articles, load_corpus

    try:
        catalog = load_catalog()
        articles = build_articles(load_corpus(catalog), catalog, random.Random(7), 400,
                                  datetime(2026, 11, 20, tzinfo=UTC))
    except FileNotFoundError:
        return []
    texts: list[str] = []
    for article in articles:
        if sum(len(text) for text in texts) >= kilobytes * 1000:
            break
        texts.append(f"{article.title}\n\n{article.text}")
    return texts


def _mentions_per_100_words(runners: Mapping[str, Runner], texts: Sequence[str],
                            words: int) -> str:
    """How dense the corpus is in entities (the tagger's cost grows with its mentions)."""
    if "rules" not in runners:
        return ""
    results = cast("list[TagResult]", runners["rules"](texts))
    mentions = sum(len(result.entities) for result in results)
    return f"{100 * mentions / words:.1f} mentions per 100 words (the seed article: 6.4)"


def _article(sentences: Sequence[str]) -> str:
    step = SENTENCES_PER_PARAGRAPH
    paragraphs = [" ".join(sentences[i : i + step]) for i in range(0, len(sentences), step)]
    return "\n\n".join(paragraphs)


def count_words(texts: Sequence[str]) -> int:
    """Whitespace-separated words."""
    return sum(len(text.split()) for text in texts)


def time_pipelines(
    runners: Mapping[str, Runner], texts: Sequence[str], repeat: int
) -> dict[str, float]:
    """The best of ``repeat`` passes per pipeline, the pipelines taking turns in each round,
    after a warm-up pass (lazy initialisation, spaCy's tokenizer cache: a daemon runs warm)."""
    best = dict.fromkeys(runners, float("inf"))
    for runner in runners.values():
        runner(texts)
    for _ in range(repeat):
        for key, runner in runners.items():
            started = time.perf_counter()
            runner(texts)
            best[key] = min(best[key], time.perf_counter() - started)
    return best


def render_speed(
    timings: Sequence[Timing], console: Console, title: str, *, goals: bool = True
) -> None:
    """Words per second and the ratio to each pipeline's baseline (with the goals' verdicts
    when ``goals``)."""
    by_key = {timing.pipeline.key: timing for timing in timings}
    table = Table(title=title)
    for column in ("pipeline", "words", "seconds", "words/s", "ratio", "goal", "met"):
        table.add_column(column, justify="left" if column == "pipeline" else "right")
    for timing in timings:
        base = by_key.get(timing.pipeline.baseline or "")
        ratio, goal, met = _against(timing, base)
        table.add_row(
            timing.pipeline.title, f"{timing.words:,}", f"{timing.seconds:.2f}",
            f"{timing.words_per_second:,.0f}", ratio, goal if goals else "", met if goals else "",
        )
    console.print(table)


def _ruler_ceiling(timings: Sequence[Timing]) -> str:
    """What the rulers alone allow a rules-only tagger on this corpus: any tagger built on one
    runs at most at its speed."""
    by_key = {timing.pipeline.key: timing for timing in timings}
    tokenizer = by_key.get("tokenizer")
    if tokenizer is None or not tokenizer.words_per_second:
        return ""
    shares = [f"{name} {by_key[key].words_per_second / tokenizer.words_per_second:.1%}"
              for key, name in (("entity-ruler", "EntityRuler"), ("span-ruler", "SpanRuler"))
              if key in by_key]
    if not shares:
        return ""
    return ("Ceiling of a rules-only tagger built on a ruler, of the bare tokenizer's speed on "
            f"this corpus: {', '.join(shares)} (the ruler alone, before any of newsmon's work).")


def _against(timing: Timing, base: Timing | None) -> tuple[str, str, str]:
    """The ratio, goal and verdict cells of a pipeline compared with its baseline."""
    goal = timing.pipeline.goal
    if base is None or not base.words_per_second:
        return "", "", ""
    ratio = timing.words_per_second / base.words_per_second
    shown = f"{ratio:.1%} of {base.pipeline.key}"
    if goal is None:
        return shown, "", ""
    return shown, f">= {goal:.0%}", "yes" if ratio >= goal else "[red]no[/red]"


def resident_memory() -> dict[str, float]:
    """This process's resident set and its peak, in MB (``/proc/self/status``, else rusage)."""
    status = Path("/proc/self/status")
    if status.exists():
        fields = dict(
            line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
        )
        return {
            "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
            "peak_mb": int(fields["VmHWM"].split()[0]) / 1024,
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_mb": peak, "peak_mb": peak}


def memory_of(key: str) -> dict[str, float] | None:
    """Build one pipeline in a fresh process and read its memory; None when that fails."""
    completed = subprocess.run(
        [sys.executable, __file__, "--rss-of", key], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return None
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def report_memory_of(key: str) -> None:
    """The child side of :func:`memory_of`: build, then print the figures as JSON."""
    import spacy  # noqa: F401  (the baseline includes spaCy)

    if key != "imports":
        next(p for p in PIPELINES if p.key == key).build()
    print(json.dumps(resident_memory()))


def render_memory(pipelines: Sequence[Pipeline], console: Console) -> None:
    """Resident memory of a fresh process after building each pipeline."""
    table = Table(title="Memory: a fresh process after building the pipeline")
    for column in ("pipeline", "RSS MB", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "pipeline" else "right")
    rows = [("imports", "python, spaCy and the benchmark imported, nothing built")]
    rows += [(pipeline.key, pipeline.title) for pipeline in pipelines]
    for key, title in rows:
        figures = memory_of(key)
        if figures is None:
            table.add_row(title, "failed", "")
        else:
            table.add_row(title, f"{figures['rss_mb']:.0f}", f"{figures['peak_mb']:.0f}")
    console.print(table)


# --- the run -----------------------------------------------------------------------------------


def run_accuracy(
    sentences: Sequence[GoldSentence], runners: Mapping[str, Runner], show: bool,
    console: Console,
) -> None:
    """Score the rules-only tagger and, when built, the tagger with NER."""
    key = listed_company_key(load_catalog())
    for pipeline in PIPELINES:
        if pipeline.key in TAGGERS and pipeline.key in runners:
            score, scores = evaluate(runners[pipeline.key], sentences, key)
            render_accuracy(pipeline.title, score, console)
            if show:
                show_errors(pipeline.title, sentences, scores, console)


def run_speed(
    sentences: Sequence[GoldSentence], runners: Mapping[str, Runner], kilobytes: int,
    repeat: int, console: Console,
) -> None:
    """Time every pipeline over the same texts, then measure their memory."""
    seed = SEED_ARTICLE.read_text(encoding="utf-8") if SEED_ARTICLE.exists() else ""
    chosen = [pipeline for pipeline in PIPELINES if pipeline.key in runners]
    corpora = [
        ("Speed on one core (best pass), development sentences as articles: the goals' corpus",
         speed_corpus([sentence.text for sentence in sentences], seed, kilobytes), True),
        ("Reference: real article bodies with a tagged AI story spliced in (as bench/matching.py)",
         news_corpus(kilobytes), False),
    ]
    for title, texts, goals in corpora:
        if not texts:
            continue
        words = count_words(texts)
        size = sum(len(text) for text in texts) / 1000
        console.print(f"{len(texts)} texts, {size:,.0f} KB, {words:,} words, "
                      f"{len({word for text in texts for word in text.split()}):,} distinct; "
                      f"{_mentions_per_100_words(runners, texts, words)}")
        best = time_pipelines(runners, texts, repeat)
        timings = [Timing(pipeline, words, best[pipeline.key]) for pipeline in chosen]
        render_speed(timings, console, title, goals=goals)
        console.print(_ruler_ceiling(timings))
    console.print(
        f"One process pinned to one core; each pipeline made a warm-up pass, then the best of "
        f"{repeat} passes counts. Words are whitespace-separated; batches of "
        f"{NlpSettings().batch_size} texts. Bare NER runs only spaCy's ner component (it has "
        "its own tok2vec). The reference rows run each batch in a memory_zone, as the tagger "
        "does, which discards the tokenizer's cache entries made in it."
    )
    render_memory([pipeline for pipeline in chosen if pipeline.measure_memory], console)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true", help="list FPs and FNs per sentence")
    parser.add_argument("--no-ner", dest="ner", action="store_false",
                        help="skip the pipelines with the statistical NER")
    parser.add_argument("--no-speed", dest="speed", action="store_false",
                        help="accuracy only")
    parser.add_argument("--kb", type=int, default=300, help="size of the speed corpus in KB")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per pipeline")
    parser.add_argument("--rss-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):  # one core, as the figures claim
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.rss_of:
        report_memory_of(args.rss_of)
        return
    console = Console(width=120)
    sentences = load_devset(DEVSET)
    runners = {
        pipeline.key: pipeline.build()
        for pipeline in PIPELINES
        if (args.ner or not pipeline.needs_ner) and (args.speed or pipeline.key in TAGGERS)
    }
    run_accuracy(sentences, runners, args.errors, console)
    if args.speed:
        run_speed(sentences, runners, args.kb, args.repeat, console)


if __name__ == "__main__":
    main()
