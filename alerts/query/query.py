"""A parsed query: its text, its tree, and how it matches an article.

Where it sits in the flow: :func:`alerts.query.parse_query` returns a :class:`Query`; the
subscription keeps it; :class:`alerts.matching.MatchIndex` compiles many of them and calls
:meth:`Query.evaluate` for the candidates of each article. :meth:`Query.matches` is the one-off
form that prepares the article itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alerts.query.article import PreparedArticle
from alerts.query.ast import Node, format_node
from alerts.query.evaluate import Reasons, evaluate
from alerts.types import ArticleView


@dataclass(frozen=True)
class Query:
    """A query as written (``text``) and as understood (``root``, entities as catalog ids).

    Two queries are equal when their trees are, whatever their spelling.
    """

    text: str = field(compare=False)
    root: Node
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What the subscriber should know about how the query was understood, though it is valid
    (a model the catalog does not know, matched by the name the tagger finds)."""

    def matches(self, article: ArticleView, now: datetime) -> Reasons | None:
        """Why the query matches ``article`` at time ``now`` (spans to highlight), or ``None``."""
        return evaluate(self.root, PreparedArticle(article), now)

    def evaluate(self, article: PreparedArticle, now: datetime) -> Reasons | None:
        """:meth:`matches` for an article prepared once for many queries."""
        return evaluate(self.root, article, now)

    @property
    def canonical(self) -> str:
        """The query as understood, every group bracketed: ``(nvidia OR amd) AND chips``."""
        return format_node(self.root)

    def __str__(self) -> str:
        return self.canonical
