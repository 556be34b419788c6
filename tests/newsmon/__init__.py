"""Tests of the application shell (``newsmon/``)."""
