"""The UI benchmarks' bench profile and the child processes that open it.

`build_profile` makes a remembered offline profile of n documents; a child started with
`run_child(…, child_env(…), marks)` opens it offscreen, its key coming through a keyring
back-end read from the environment (`EnvKeyring`), and nothing touches the user's own
settings (XDG_CONFIG_HOME points at the run's directory).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import keyring.backend

ROOT = Path(__file__).resolve().parents[1]
SERVER = "http://127.0.0.1:9"  # nothing listens: the start is offline, as on a plane
LOGIN = "bench"


class EnvKeyring(keyring.backend.KeyringBackend):
    """Entries from the OA_BENCH_KEYRING environment variable (JSON), for child processes."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries = json.loads(os.environ.get("OA_BENCH_KEYRING", "{}"))

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret."""
        return self.entries.get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret (this process only)."""
        self.entries[f"{service}\x00{username}"] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret."""
        self.entries.pop(f"{service}\x00{username}", None)


def build_profile(root: Path, n: int) -> dict[str, str]:
    """A remembered profile holding `n` documents; returns the keyring entries."""
    from bench.corpus import Corpus
    from oa_client.services import account
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store
    from ui.shell_session import profile_dir_for

    kr = MemoryKeyring()
    store = open_store(profile_dir_for(root / "profiles", SERVER, LOGIN), keyring_backend=kr,
                       server_url=SERVER, username=LOGIN)
    corpus = Corpus(seed=7)
    states = ("review", "sign_off", "handle", "circulate", "archived")
    for start in range(0, n, 1000):
        docs = [{"direction": "incoming" if i % 3 else "outgoing", "doc_kind": "通知",
                 "title": corpus.title(), "body": corpus.body(200), "state": states[i % 5],
                 "doc_number": f"普府办〔2026〕{start + i + 1}号", "rev": 1,
                 # the bench user holds a step of one in 500 (to do) and reads one in 700
                 **({"holder_ids": ["u-bench"]} if (start + i) % 500 == 1 else {}),
                 **({"reader_ids": ["u-bench"]} if (start + i) % 700 == 3 else {})}
                for i in range(min(1000, n - start))]
        store.records.write("documents", docs)
    account.save_me(store, {"id": "u-bench", "login": LOGIN, "name": "王伟",
                            "unit": {"id": "unit-bench", "name": "普宁市人民政府办公室"}})
    store.close()
    conf = root / "config" / "zhengwu-oa"
    conf.mkdir(parents=True)
    (conf / "zhengwu-oa.conf").write_text(
        f"[signin]\nremember=true\nserver={SERVER}\nlogin={LOGIN}\n", encoding="utf-8")
    return {f"{s}\x00{u}": v for (s, u), v in kr.entries.items()}


def child_env(root: Path, entries: dict[str, str]) -> dict[str, str]:
    """The environment of a child on the bench profile: offscreen, its own config and data
    directories, the key through `EnvKeyring`, and bytecode cached under the run's directory
    (an installed client runs compiled code; a start that compiles every module would time
    the compiler, as it did where PYTHONDONTWRITEBYTECODE is set)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data"),
           "PYTHONPYCACHEPREFIX": str(root / "pycache"),
           "PYTHON_KEYRING_BACKEND": "bench._ui_profile.EnvKeyring",
           "OA_BENCH_KEYRING": json.dumps(entries)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(args: list[str], env: dict[str, str], marks: tuple[str, ...]) -> dict[str, float]:
    """Run a child; seconds from spawning to each marker line (and values it printed)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    seen: dict[str, float] = {}
    assert proc.stdout is not None
    killer = threading.Timer(120, proc.kill)  # a child that hangs fails the run, not the box
    killer.start()
    try:
        for line in proc.stdout:
            word, _sep, value = line.strip().partition(" ")
            if word in marks:
                seen[word] = float(value) if value else time.perf_counter() - t0
        proc.wait(timeout=30)
    finally:
        killer.cancel()
    missing = [m for m in marks if m not in seen]
    if missing:
        raise RuntimeError(f"child did not report {missing}")
    return seen
