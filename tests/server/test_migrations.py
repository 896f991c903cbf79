"""The packaged Alembic migrations: they match the models, and go down and up again."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from oa_server import models
from oa_server.db import Base, make_engine
from oa_server.migrate import alembic_config, current_revision, head_revision, upgrade

OURS = {
    table.name
    for cls in vars(models).values()
    if isinstance(cls, type) and issubclass(cls, Base) and cls is not Base
    for table in [cls.__table__]  # type: ignore[attr-defined]
}


def _diff_tables(diff: object) -> set[str]:
    found: set[str] = set()
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                found.add(table.name)
            elif isinstance(name, str):
                found.add(name)
    return found


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
        ours = [d for d in diffs if _diff_tables(d) & OURS]
        assert not ours, ours
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_up_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        upgrade(engine)
        cfg = alembic_config(engine)
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
            conn.commit()
        assert not (set(inspect(engine).get_table_names()) & OURS)
        upgrade(engine)
        assert OURS <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_one_line_of_revisions_with_one_head(tmp_path: Path) -> None:
    """Branches merged with a migration each are put one after the other (a second head
    would leave `upgrade` to pick one): every revision has one parent and one child, and the
    file names carry their ids in order."""
    from alembic.script import ScriptDirectory

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        script = ScriptDirectory.from_config(alembic_config(engine))
        assert len(script.get_heads()) == 1
        chain = list(reversed(list(script.walk_revisions())))  # base first
        assert chain[0].down_revision is None
        for before, after in pairwise(chain):
            assert after.down_revision == before.revision
        assert [Path(r.path).name[:4] for r in chain] == [r.revision for r in chain]
        assert [r.revision for r in chain] == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    finally:
        engine.dispose()
