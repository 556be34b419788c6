"""Why a query was refused: a value naming the position, what was expected and what to try.

Where it sits in the flow: :func:`alerts.query.parse_query` returns a :class:`QueryError` instead
of a query when the text does not parse or names an entity the catalog does not know; the CLI,
the web page and the API show :meth:`QueryError.render` to the subscriber. Inside the parser a
problem travels as :class:`QueryProblem` (an exception that never leaves the package).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueryError:
    """A query that cannot be used, and where: ``position`` is a 0-based index into ``query``."""

    query: str
    position: int
    expected: str
    """What would have been understood there: ``"')'"``, ``"a date like 2026-11-20"``."""
    message: str
    suggestions: tuple[str, ...] = ()
    """Nearest catalog names for an unknown entity, nearest field names for an unknown field."""

    def render(self) -> str:
        """The query, a caret under the position, the message and any suggestions::

            company:Nvdia
                    ^
            column 9: unknown company 'Nvdia'; expected a company in the catalog
            did you mean: Nvidia?
        """
        shown = self.query.replace("\t", " ").replace("\n", " ")
        lines = [
            shown,
            " " * self.position + "^",
            f"column {self.position + 1}: {self.message}; expected {self.expected}",
        ]
        if self.suggestions:
            lines.append(f"did you mean: {', '.join(self.suggestions)}?")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class QueryProblem(Exception):  # noqa: N818 - a problem in a query, turned into a QueryError
    """Raised inside the parser; ``offset`` is relative to the start of the value being read."""

    def __init__(
        self, offset: int, expected: str, message: str, suggestions: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.offset = offset
        self.expected = expected
        self.message = message
        self.suggestions = suggestions

    def at(self, query: str, start: int) -> QueryError:
        """The :class:`QueryError` for a value that starts at ``start`` in ``query``."""
        position = min(max(start + self.offset, 0), len(query))
        return QueryError(query, position, self.expected, self.message, self.suggestions)
