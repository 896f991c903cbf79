"""How `serve` starts its jobs process: this Python with the package, or — in the installed
bundle, where `sys.executable` is the oa-server program itself — that program with no `-m`
(which the bundle would take for a command and refuse, leaving the jobs never run)."""

from __future__ import annotations

import subprocess
import sys

from oa_server.jobs.process import jobs_command


def test_from_source_it_is_this_python_running_the_package():
    command = jobs_command()
    assert command == [sys.executable, "-m", "oa_server", "jobs", "loop"]
    helped = subprocess.run([*command[:-1], "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "loop" in helped.stdout


def test_in_the_installed_bundle_it_is_the_program_itself(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/oa-server/oa-server")
    assert jobs_command() == ["/opt/oa-server/oa-server", "jobs", "loop"]
