"""The daemon: ``newsmon run`` keeps crawling, processing and delivering on one event loop.

Where it sits: the shell's long-running entry point. ``lock`` makes sure one daemon runs per
database, ``plan`` derives the job schedule from settings and sources (pure), ``jobs`` holds the
module-level job functions, ``service`` wires APScheduler onto the reactor's asyncio loop and
stops it cleanly, ``cli`` is the ``run`` command.
"""
