"""Shared fixtures: headless Qt, a file keyring in a temporary directory, fixtures path."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
if "OA_TEST_KEEP_HOME" not in os.environ:  # QSettings and platformdirs write under here
    import tempfile

    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="oa-test-config-")
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="oa-test-data-")

from pathlib import Path

import pytest

from tests.support.file_keyring import FileKeyring

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture
def file_keyring(tmp_path: Path) -> FileKeyring:
    """A keyring back-end that keeps its entries in a temporary directory."""
    d = tmp_path / "keyring"
    d.mkdir()
    return FileKeyring(d)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """../shared/fixtures (CI has it); fails plainly when it is missing."""
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}: clone the repo beside shared/")
    return FIXTURES
