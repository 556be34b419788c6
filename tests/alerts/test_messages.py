"""What one alert says, whatever the channel: the stock moves, the excerpts around the matches,
and the times (pure: no database, no server)."""

from __future__ import annotations

from alerts.messages import stock_moves_of
from alerts.types import ReactionRef


def test_a_move_stated_twice_is_shown_once_with_its_size() -> None:
    reactions = (ReactionRef("Meta", "meta", "META", "up", None, "title", 0, 16),
                 ReactionRef("Meta", "meta", "META", "up", 3.4, "text", 40, 60),
                 ReactionRef("Nvidia", "nvidia", "NVDA", "up", 0.8, "text", 80, 95))
    assert [move.label for move in stock_moves_of(reactions)] == ["META ▲ 3.4%", "NVDA ▲ 0.8%"]


def test_a_numeric_exchange_code_is_shown_as_the_company() -> None:
    reactions = (ReactionRef("TSMC", "tsmc", "2330", "down", 1.7, "text", 0, 10),
                 ReactionRef("Fanuc", None, None, "down", 4.0, "text", 20, 30))
    assert [move.label for move in stock_moves_of(reactions)] == ["TSMC ▼ 1.7%", "Fanuc ▼ 4%"]
