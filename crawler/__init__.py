"""Fetching only: Scrapy spiders, feed/sitemap/section parsing, conditional GET, politeness, health.

The crawler turns configured sources into :class:`pipeline.types.FetchedPage` values and hands
them to a page sink it is given; it never imports ``alerts``.
"""
