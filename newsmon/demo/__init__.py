"""The offline demo of the application shell: a sample news site served from 127.0.0.1.

``newsmon demo`` and the crawler tests poll :class:`SampleNewsSite`, four fictional outlets on one
local HTTP server (sample data: fictional stories for the newsmon demo) that publish about two
dozen AI-industry stories on a clock. Modules, in the order a request flows through them:

- :mod:`newsmon.demo.site`: the server, its crawl sources and request log;
- :mod:`newsmon.demo.routes`: path -> document, at the moment of the request;
- :mod:`newsmon.demo.timeline`: which stories are out at a moment, with their URLs;
- :mod:`newsmon.demo.render`: Jinja2 templates for pages, feeds, sitemap and robots.txt;
- :mod:`newsmon.demo.responses`: validators, conditional GET and gzip;
- :mod:`newsmon.demo.catalog`: the outlets and stories, loaded from ``stories/*.toml``.
"""

from __future__ import annotations

from newsmon.demo.catalog import Catalog, Outlet, Story, load_catalog
from newsmon.demo.render import SAMPLE_NOTICE
from newsmon.demo.site import DemoSource, RecordedRequest, SampleNewsSite
from newsmon.demo.timeline import PublishedStory

__all__ = [
    "SAMPLE_NOTICE",
    "Catalog",
    "DemoSource",
    "Outlet",
    "PublishedStory",
    "RecordedRequest",
    "SampleNewsSite",
    "Story",
    "load_catalog",
]
