"""Alembic environment for the client cache. Runs only with a connection handed in by
`app.models.db.migrate` (no alembic.ini, no URL in files)."""

from alembic import context

from app.models.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - offline mode is not used
    raise RuntimeError("run migrations through app.models.db.migrate()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
