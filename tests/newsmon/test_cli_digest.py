"""``newsmon digest`` through the real CLI over a real database: a day before the subscription
existed has no digest, and nothing is stored for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from pipeline.storage import Storage


def test_a_day_before_the_subscription_existed_is_refused_and_not_stored(
    tmp_path: Path, database_url: str,
) -> None:
    runner = CliRunner()
    env = {"NEWSMON_HOME": str(tmp_path / "home"), "NEWSMON_DATABASE_URL": database_url}

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    assert run("init")[0] == 0
    assert run("subscribe", "company:Meta", "--name", "muse", "--email", "me@example.org",
               "--frequency", "daily")[0] == 0
    before = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    code, out, err = run("digest", "--subscription", "muse", "--date", before)
    assert code == 1 and out == ""
    assert f"muse did not exist yet on {before} (created " in " ".join(err.split())
    assert "no digest for that day" in " ".join(err.split())
    today = datetime.now(UTC).date().isoformat()
    code, out, _ = run("digest", "--subscription", "muse", "--date", today)
    assert code == 0 and "No stories matched" in out
    storage = Storage.open(database_url)
    try:
        record = storage.subscriptions.get("muse")
        assert record is not None
        assert storage.digests.get(record.id, before) is None
    finally:
        storage.close()
