"""The NLP stage: tag an article's text with AI models, companies and stock reactions.

Built once per process from the entity catalog (``config.catalog``): spaCy's tokenizer, an
EntityRuler of catalog patterns, optionally the statistical English NER for organisations the
catalog lacks, patterns for unknown models, context rules that disambiguate ("Gemini" the model vs
the zodiac sign), and stock-reaction extraction. ``pipeline.nlp.types`` holds the values it returns.
"""
