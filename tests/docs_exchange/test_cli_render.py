"""`python -m docs_exchange import|render`: JSON elements out, PDF and DOCX back, plain errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docs_exchange.__main__ import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def doc_json(fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "doc.json"
    src = fixtures_dir / "documents" / "huangyan-digital-gov-plan.txt"
    assert main(["import", str(src), "-o", str(out)]) == 0
    return out


def test_import_writes_the_elements_as_json(doc_json: Path) -> None:
    data = json.loads(doc_json.read_text(encoding="utf-8"))
    assert data["doc_number"] == "黄政发〔2021〕18号"
    assert data["date"] == "2021-09-29"
    assert data["title"].endswith("的通知") and data["body"]


def test_render_writes_pdf_and_docx(doc_json: Path, tmp_path: Path, capsys) -> None:
    pdf, docx_path = tmp_path / "out.pdf", tmp_path / "out.docx"
    assert main(["render", str(doc_json), "--pdf", str(pdf), "--docx", str(docx_path)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and docx_path.read_bytes().startswith(b"PK")
    captured = capsys.readouterr()
    assert "PDF" in captured.out and "页" in captured.out
    assert "字体替代" in captured.err  # this machine has no 仿宋_GB2312: the user is told


@pytest.mark.parametrize("fmt", ["信函", "命令", "纪要"])
def test_render_special_formats(doc_json: Path, tmp_path: Path, fmt: str) -> None:
    pdf = tmp_path / f"{fmt}.pdf"
    assert main(["render", str(doc_json), "--pdf", str(pdf), "--format", fmt]) == 0
    assert pdf.stat().st_size > 1000


def test_classified_json_is_refused_with_a_plain_message(tmp_path: Path, capsys) -> None:
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"title": "通知", "body": ["正文"], "secrecy": "机密"}, ensure_ascii=False),
                    encoding="utf-8")
    assert main(["render", str(path), "--pdf", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert "涉密" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_corrupt_docx_import_is_a_plain_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04garbage")
    assert main(["import", str(bad)]) == 1
    assert "DOCX" in capsys.readouterr().err


def test_verify_subcommand_is_registered() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"import", "render", "verify"} <= set(sub.choices)


def test_runs_as_a_module(doc_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.pdf"
    proc = subprocess.run(
        [sys.executable, "-m", "docs_exchange", "render", str(doc_json), "--pdf", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF")
