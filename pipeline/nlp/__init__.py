"""The NLP stage: tag an article's text with AI models, companies and stock reactions.

Built once per process from the entity catalog (``config.catalog``) by
:meth:`pipeline.nlp.tagger.Tagger.build`: spaCy's tokenizer, span rulers of catalog names and
tickers, optionally the statistical English NER for organisations the catalog lacks, patterns
for unknown models, context rules that disambiguate ("Gemini" the model vs the zodiac sign),
and stock-reaction extraction. ``pipeline.nlp.types`` holds the values it returns.

Modules in flow order: ``tagger`` (the orchestrator), ``chunking`` (offset-safe normalising,
cutting, chunking, sentences), ``spacy_pipeline`` (the ``Language``), ``catalog_patterns``
(catalog -> patterns and lookups), ``reading`` (``Doc`` -> plain ``facts``), ``casing`` and
``context`` (spelling and neighbourhood facts), ``unknown_models`` (pattern guesses),
``resolution`` (decisions over the whole text), ``disambiguation`` (the rules), ``linking``
(facts -> mentions), ``vocabulary`` (the word lists), ``stock_reactions`` (market moves).
Design, rules and limits: ``docs/nlp.md``.
"""
