"""Alembic migrations shipped inside the package (run by `oa-server migrate` and at `serve`)."""
