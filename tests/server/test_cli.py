"""The `oa-server` admin CLI, run in-process on a copy of the demo database."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from oa_server.cli import generate_password, main
from oa_server.policy import SecurityPolicy, check_shape
from tests.server.support import CHEAP_ENV


@pytest.fixture
def cli_dir(data_dir: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory holding a copy of the demo database; cheap hashing for the CLI."""
    for key, value in CHEAP_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OA_SERVER_DATABASE_URL", raising=False)
    return data_dir


def run(cli_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(cli_dir), *args])


def _db(cli_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(cli_dir / "oa-server.sqlite3")


def _tamper(cli_dir: Path, statement: str) -> None:
    with _db(cli_dir) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute(statement)


def _count(cli_dir: Path, table: str) -> int:
    with _db(cli_dir) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_migrate_on_a_fresh_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = tmp_path / "fresh"
    assert main(["--data-dir", str(fresh), "migrate"]) == 0
    assert (fresh / "oa-server.sqlite3").exists()
    assert "数据库已是最新结构" in capsys.readouterr().out
    assert main(["migrate", "--data-dir", str(fresh)]) == 0  # idempotent, option after command


def test_demo_is_idempotent(cli_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    users = _count(cli_dir, "users")
    assert run(cli_dir, "demo") == 0
    out = capsys.readouterr().out
    assert "用户 0 人" in out and "Demo@2026" in out and "huangwei" in out
    assert _count(cli_dir, "users") == users


def test_demo_table_in_docs_matches_the_data() -> None:
    from oa_server.demo import DEMO_FILE, DEMO_PASSWORD, demo_users

    doc = (DEMO_FILE.parent / "DEMO.md").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in doc
    for user in demo_users():
        assert f"`{user['login']}`" in doc, user["login"]


def test_user_add_disable_unlock_reset(
    cli_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Start@2026\n"))
    assert (
        run(
            cli_dir,
            "user",
            "add",
            "wanglei",
            "--name",
            "王磊",
            "--unit",
            "普财",
            "--department",
            "预算股",
            "--position",
            "科员",
            "--roles",
            "drafter",
            "--password-stdin",
        )
        == 0
    )
    with _db(cli_dir) as conn:
        row = conn.execute("SELECT name, password_hash FROM users WHERE login='wanglei'").fetchone()
    assert row[0] == "王磊" and row[1].startswith("$argon2id$")
    assert run(cli_dir, "user", "disable", "wanglei") == 0
    assert run(cli_dir, "user", "enable", "wanglei") == 0
    with _db(cli_dir) as conn:
        for source in ("10.0.0.7", "10.0.0.8"):
            conn.execute(
                "INSERT INTO signin_delays(login, source, failures, blocked_until) "
                "VALUES ('wanglei', ?, 9, '2999-01-01 00:00:00')", (source,))
        conn.execute("INSERT INTO signin_delays(login, source, failures) "
                     "VALUES ('guoyan', '10.0.0.7', 9)")
    capsys.readouterr()
    assert run(cli_dir, "user", "unlock", "wanglei") == 0
    assert "2 个来源地址" in capsys.readouterr().out
    with _db(cli_dir) as conn:
        assert conn.execute("SELECT login FROM signin_delays").fetchall() == [("guoyan",)]
    assert run(cli_dir, "user", "reset-password", "wanglei") == 0
    out = capsys.readouterr().out
    assert "一次性密码" in out and "下次登录时须修改密码" in out
    with _db(cli_dir) as conn:
        assert conn.execute("SELECT must_change_password, forced_change FROM users "
                            "WHERE login='wanglei'").fetchone() == (1, "reset")
    assert run(cli_dir, "user", "disable", "nobody") == 1
    assert "用户不存在" in capsys.readouterr().err


def test_user_add_refuses_a_weak_password(
    cli_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("123456\n"))
    assert (
        run(cli_dir, "user", "add", "weak", "--name", "弱", "--unit", "普财", "--password-stdin")
        == 1
    )
    assert "密码至少 8 位" in capsys.readouterr().err


def test_generated_passwords_are_strong() -> None:
    for _ in range(50):
        check_shape(SecurityPolicy(), login="wanglei", password=generate_password())


def test_unit_add(cli_dir: Path) -> None:
    assert (
        run(
            cli_dir,
            "unit",
            "add",
            "普宁市司法局",
            "--level",
            "部门",
            "--doc-code",
            "普司",
            "--parent",
            "普府",
            "--departments",
            "办公室",
            "法治股",
        )
        == 0
    )
    with _db(cli_dir) as conn:
        (level,) = conn.execute("SELECT level FROM units WHERE doc_code='普司'").fetchone()
        depts = conn.execute(
            "SELECT count(*) FROM departments d JOIN units u ON u.id=d.unit_id "
            "WHERE u.doc_code='普司'"
        ).fetchone()[0]
    assert level == "department" and depts == 2
    assert run(cli_dir, "unit", "add", "普宁市司法局", "--level", "部门") == 1


GOOD_CSV = """type,name,login,doc_code,level,parent,unit,department,position,phone,roles,password
单位,普宁市水利局,,普水,部门,普府,,,,,,
科室,办公室,,,,,普宁市水利局,,,,,
人员,周明,zhouming,,,,普水,办公室,科员,0663-1,drafter;clerk,Start@2026
"""


def test_import_org_csv(cli_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_text(GOOD_CSV, encoding="utf-8-sig")
    assert run(cli_dir, "import-org", str(path)) == 0
    with _db(cli_dir) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM user_roles r JOIN users u ON u.id=r.user_id "
                "WHERE u.login='zhouming'"
            ).fetchone()[0]
            == 2
        )


def test_import_org_gb18030_csv(cli_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_bytes(GOOD_CSV.encode("gb18030"))
    assert run(cli_dir, "import-org", str(path)) == 0


def test_import_org_with_a_bad_line_imports_nothing(
    cli_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = GOOD_CSV + "人员,孙强,sunqiang,,,,普宁市不存在局,,,,,\n单位,新村,,,村,,,,,,,\n"
    path = tmp_path / "org.csv"
    path.write_text(bad, encoding="utf-8")
    before = {t: _count(cli_dir, t) for t in ("units", "departments", "users", "audit_log")}
    assert run(cli_dir, "import-org", str(path)) == 1
    err = capsys.readouterr().err
    assert "第 5 行" in err and "普宁市不存在局" in err
    assert "第 6 行" in err and "上级单位" in err
    assert "未导入任何内容" in err
    after = {t: _count(cli_dir, t) for t in before}
    assert after == before


def test_import_org_json_errors_name_the_entry(
    cli_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {
        "units": [{"name": "普宁市林业局", "level": "部门", "parent": "普府", "doc_code": "普林"}],
        "users": [
            {"login": "ok1", "name": "甲", "unit": "普林"},
            {"login": "9bad", "name": "乙", "unit": "普林"},
            {"name": "丙", "unit": "普林"},
        ],
    }
    path = tmp_path / "org.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    units = _count(cli_dir, "units")
    assert run(cli_dir, "import-org", str(path)) == 1
    err = capsys.readouterr().err
    assert "users[1]" in err and "users[2]" in err and "login" in err
    assert _count(cli_dir, "units") == units
    broken = tmp_path / "broken.json"
    broken.write_text('{"units": [\n  {"name": "x",\n  }\n]}', encoding="utf-8")
    assert run(cli_dir, "import-org", str(broken)) == 1
    assert "第 3 行" in capsys.readouterr().err


def test_audit_verify_catches_tampering(cli_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cli_dir, "audit", "verify") == 0
    assert "校验通过" in capsys.readouterr().out
    _tamper(cli_dir, 'UPDATE audit_log SET details = \'{"name":"改过"}\' WHERE seq = 12')
    assert run(cli_dir, "audit", "verify") == 1
    assert "第 12 条" in capsys.readouterr().err


def test_audit_verify_catches_a_removed_row(
    cli_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(cli_dir, "DELETE FROM audit_log WHERE seq = 20")
    assert run(cli_dir, "audit", "verify") == 1
    assert "第 20 条" in capsys.readouterr().err


def test_cli_speaks_english_when_asked(cli_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from oa_client import i18n

    try:
        i18n.set_language("en")
        assert run(cli_dir, "audit", "verify") == 0
        assert "hash chain verified" in capsys.readouterr().out
    finally:
        i18n.set_language("zh_CN")


def test_audit_verify_with_a_recorded_head_catches_a_cut_tail(
    cli_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli_dir, "audit", "verify") == 0
    head = capsys.readouterr().out.strip().splitlines()[-1].split("：")[1].split("（")[0]
    seq = int(head.split(":")[0])
    assert run(cli_dir, "audit", "verify", "--expect-head", head) == 0
    capsys.readouterr()
    _tamper(cli_dir, f"DELETE FROM audit_log WHERE seq >= {seq - 1}")
    assert run(cli_dir, "audit", "verify") == 0  # a shorter chain is still a valid chain …
    capsys.readouterr()
    assert run(cli_dir, "audit", "verify", "--expect-head", head) == 1  # … but not the one we saw
    assert f"第 {seq - 1} 条" in capsys.readouterr().err
    assert run(cli_dir, "audit", "verify", "--expect-head", "12:nothex") == 1
