"""The central OA server: FastAPI app, SQLAlchemy models, Alembic migrations, admin CLI."""

__version__ = "0.1.0"
