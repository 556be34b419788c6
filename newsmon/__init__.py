"""The application shell and composition root: CLI, (later) daemon and web, the offline demo.

Only this package imports all the others; it builds settings, storage, the crawler and the
pipeline and wires them together.
"""

__version__ = "0.1.0"
