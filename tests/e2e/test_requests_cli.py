"""`oa-server catalogue import FILE`: a broken file is refused naming its line, nothing stored;
the starter catalogue is stored as records everyone reads."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from oa_client.domain.catalogue import STARTER_CATALOGUE
from oa_server.cli import main
from oa_server.db import make_engine, make_sessionmaker
from oa_server.sync_models import SyncAudience, SyncRecord
from tests.server.support import build_template


def _items(url: str) -> list[dict]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(select(SyncRecord).where(SyncRecord.collection == "service_items")).all()
            audience = {a.principal for a in session.scalars(
                select(SyncAudience).where(SyncAudience.collection == "service_items"))}
            return [{**json.loads(r.data), "audience": audience} for r in rows]
    finally:
        engine.dispose()


def test_import_refuses_a_broken_file_with_its_line_then_takes_the_starter(tmp_path: Path, capsys):
    url = f"sqlite:///{tmp_path / 'oa.sqlite3'}"
    build_template(url)
    text = STARTER_CATALOGUE.read_text(encoding="utf-8")
    rules_at = text.index('"rules": [', text.index('"code": "LEAVE"'))
    broken = text[:rules_at] + text[rules_at:].replace('"right": "annual_leave_balance"', '"right": "leave_left"', 1)
    bad = tmp_path / "broken.json"
    bad.write_text(broken, encoding="utf-8")
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if '"leave_left"' in t)
    assert main(["--data-dir", str(tmp_path), "--database-url", url, "catalogue", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"第{line}行" in err and "leave_left" in err and "LEAVE" in err
    assert _items(url) == []
    assert main(["--data-dir", str(tmp_path), "--database-url", url, "catalogue", "import",
                 str(STARTER_CATALOGUE)]) == 0
    items = _items(url)
    assert len(items) == 10 and all(not i["retired"] for i in items)
    assert items[0]["audience"] == {"all"}
    assert "10" in capsys.readouterr().out


def test_the_demo_seeds_the_starter_catalogue_once(tmp_path: Path, monkeypatch, capsys):
    from tests.server.support import CHEAP_ENV

    for key, value in CHEAP_ENV.items():
        monkeypatch.setenv(key, value)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert main(["--data-dir", str(tmp_path), "--database-url", url, "demo"]) == 0
    assert "演示事项清单：导入 10 个事项" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "--database-url", url, "demo"]) == 0  # idempotent
    assert "演示事项清单" not in capsys.readouterr().out
    assert sorted(i["code"] for i in _items(url)) == sorted(
        i["code"] for i in json.loads(STARTER_CATALOGUE.read_text("utf-8"))["items"])
