"""Real local servers and databases for tests (no mocks where a real part can run)."""
