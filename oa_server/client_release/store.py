"""Published client packages in the data directory, one current release per platform."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from oa_client.domain.release import PLATFORMS, manifest_bytes, valid_filename, valid_version
from oa_client.errors import NotFoundError, ValidationError
from oa_server import audit
from oa_server.client_release.signer import sign_manifest
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.signing.keystore import SigningKeys

FOLDER = "client-releases"
CURRENT = "current.json"


@dataclass(frozen=True)
class Release:
    """One published package and its signed manifest."""

    version: str
    platform: str
    filename: str
    size: int
    sha256: str
    signature: str
    certificate_pem: str
    published: str

    def manifest(self) -> bytes:
        """The bytes the signature covers."""
        return manifest_bytes(version=self.version, platform=self.platform,
                              filename=self.filename, size=self.size, sha256=self.sha256)


def releases_dir(settings: Settings) -> Path:
    """Where packages live: <data dir>/client-releases."""
    return Path(settings.data_dir) / FOLDER


def _hash(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check(version: str, platform: str) -> None:
    if not valid_version(version):
        raise ValidationError(_("版本号格式不对（应如 1.2.0）：{v}").format(v=version), field="version")
    if platform not in PLATFORMS:
        raise ValidationError(_("不支持的平台：{p}（可选 {all}）").format(
            p=platform, all="、".join(PLATFORMS)), field="platform")


def publish(source: Path, *, version: str, platform: str, settings: Settings, session: Session,
            keys: SigningKeys, actor: str, published: str) -> Release:
    """Copy `source` in, sign its manifest and make it the platform's current release."""
    _check(version, platform)
    if not source.is_file():
        raise ValidationError(_("找不到安装包文件：{path}").format(path=source), field="file")
    filename = source.name
    if not valid_filename(filename):
        raise ValidationError(_("安装包文件名不可用：{name}").format(name=filename), field="file")
    folder = releases_dir(settings) / platform / version
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        size, sha256 = _hash(Path(tmp))
        os.replace(tmp, folder / filename)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    manifest = manifest_bytes(version=version, platform=platform, filename=filename, size=size,
                              sha256=sha256)
    signature, cert_pem = sign_manifest(manifest, keys=keys, session=session, settings=settings)
    release = Release(version=version, platform=platform, filename=filename, size=size,
                      sha256=sha256, signature=signature, certificate_pem=cert_pem,
                      published=published)
    _write_json(releases_dir(settings) / platform / CURRENT, asdict(release))
    audit.append(session, actor=actor, action="client.release_published",
                 target=f"client:{platform}",
                 details={"version": version, "filename": filename, "sha256": sha256, "size": size})
    session.commit()
    return release


def _write_json(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def current(settings: Settings, platform: str) -> Release:
    """The platform's current release; NotFoundError when none was published."""
    if platform not in PLATFORMS:
        raise ValidationError(_("不支持的平台：{p}（可选 {all}）").format(
            p=platform, all="、".join(PLATFORMS)), field="platform")
    try:
        data = json.loads((releases_dir(settings) / platform / CURRENT).read_text(encoding="utf-8"))
        return Release(**data)
    except FileNotFoundError:
        raise NotFoundError(_("服务器上还没有发布该平台的客户端安装包")) from None


def package_path(settings: Settings, *, platform: str, version: str, filename: str) -> Path:
    """The stored package file; NotFoundError for anything not published."""
    if platform not in PLATFORMS or not valid_version(version) or not valid_filename(filename):
        raise NotFoundError(_("没有这个客户端安装包"))
    path = releases_dir(settings) / platform / version / filename
    if not path.is_file():
        raise NotFoundError(_("没有这个客户端安装包"))
    return path
