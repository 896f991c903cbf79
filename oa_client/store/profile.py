"""Profiles: one per user and server, in the platform's data dir (or `--profile DIR`)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import platformdirs

from oa_client.errors import StoreError
from oa_client.i18n import _

APP_NAME = "zhengwu-oa"
PROFILE_FILE = "profile.json"
DB_FILE = "oa.db"
BLOB_DIR = "blobs"
LOG_DIR = "logs"


@dataclass
class Profile:
    """What a profile directory records about itself (no secrets)."""

    path: Path
    profile_id: str
    server_url: str = ""
    username: str = ""
    key_source: str = "keyring"  # "keyring" or "passphrase"
    kdf: dict = field(default_factory=dict)  # salt and Argon2id parameters for "passphrase"

    @property
    def db_path(self) -> Path:
        """The SQLCipher database file."""
        return self.path / DB_FILE

    @property
    def blob_dir(self) -> Path:
        """Where large attachments live, encrypted file by file."""
        return self.path / BLOB_DIR

    @property
    def log_dir(self) -> Path:
        """Where the rotating log lives."""
        return self.path / LOG_DIR

    def save(self) -> None:
        """Write profile.json atomically."""
        data = asdict(self)
        data.pop("path")
        tmp = self.path / (PROFILE_FILE + ".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path / PROFILE_FILE)
        except OSError as exc:
            raise os_store_error(exc, self.path) from exc


def default_profiles_dir() -> Path:
    """The platform's data dir for profiles (XDG on Linux, AppData on Windows)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "profiles"


def profile_slug(server_url: str, username: str) -> str:
    """A stable directory name for one user on one server."""
    host = urlparse(server_url).netloc or server_url or "local"
    base = re.sub(r"[^0-9A-Za-z._-]+", "_", f"{username or 'user'}@{host}")[:60]
    digest = hashlib.sha256(f"{server_url}\n{username}".encode()).hexdigest()[:8]
    return f"{base}-{digest}"


def os_store_error(exc: OSError, path: Path) -> StoreError:
    """Turn an OS error on the profile directory into a StoreError a user can act on."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return StoreError(
            _("磁盘空间已满，无法保存。请清理磁盘后重试，已保存的数据不受影响。"),
            kind="disk_full",
            path=str(path),
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(
            _("数据目录只读或无权写入：{path}。请检查目录权限，或用 --profile 指定其他目录。").format(
                path=path
            ),
            kind="read_only",
            path=str(path),
        )
    return StoreError(
        _("无法访问数据目录：{path}（{reason}）").format(path=path, reason=exc.strerror or exc),
        kind="io",
        path=str(path),
    )


def load_profile(path: Path) -> Profile | None:
    """Read profile.json from `path`; None when the directory holds no profile yet."""
    file = path / PROFILE_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_store_error(exc, path) from exc
    except ValueError as exc:
        raise StoreError(
            _("配置文件损坏，无法读取：{path}").format(path=file), kind="corrupt", path=str(file)
        ) from exc
    return Profile(path=path, **{k: v for k, v in data.items() if k in Profile.__dataclass_fields__})


def ensure_profile_dir(path: Path) -> None:
    """Create the profile directory (owner-only) or raise a clear StoreError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(path, 0o700)
        probe = path / ".write-probe"
        with probe.open("wb") as f:
            f.write(b"0")
        probe.unlink()
    except OSError as exc:
        raise os_store_error(exc, path) from exc
