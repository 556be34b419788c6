"""The query language of subscriptions: parse once (entities resolved), evaluate per article.

Where it sits in the flow: ``Article -> match -> Alert``. A subscriber writes a query
(docs/queries.md); :func:`parse_query` turns it into a :class:`Query` or a :class:`QueryError`
(with position, expectation and "did you mean"); :meth:`Query.matches` says whether and why an
:class:`~alerts.types.ArticleView` matches. :mod:`alerts.matching` runs many queries at once.

Modules, in the order text flows through them: ``lexer`` (tokens) -> ``parser`` (with
``fields`` and ``entities`` for filter values, ``errors`` for what it refuses) -> ``ast`` (the
tree, held by ``query.Query``) -> ``evaluate`` (against an ``article.PreparedArticle``);
``words`` cuts queries and articles alike; ``triggers`` tells the matcher which keys an article
must contain.
"""

from alerts.query.article import PreparedArticle
from alerts.query.ast import Node, format_node
from alerts.query.errors import QueryError
from alerts.query.evaluate import Reasons, evaluate
from alerts.query.parser import parse_query
from alerts.query.query import Query

__all__ = [
    "Node",
    "PreparedArticle",
    "Query",
    "QueryError",
    "Reasons",
    "evaluate",
    "format_node",
    "parse_query",
]
