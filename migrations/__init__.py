"""Alembic migrations (run with `flask --app service db upgrade`, or automatically on start)."""
