"""Tests of the reference central service (run on SQLite and PostgreSQL)."""
