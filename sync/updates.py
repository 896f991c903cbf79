"""Client updates from the OA server: find the current release, download it (progress,
resume), and check it before anything installs it.

The server signs each release's manifest (`oa_client.domain.release.manifest_bytes`) with a
one-off key its CA certifies for code signing. Here the certificate must be issued by the
CA root this profile synced (`ca_root_pem`), allow code signing and have been valid when it
signed; the signature must cover the manifest; the downloaded file must have the manifest's
size and SHA-256. Anything else is refused with SignatureError saying what was wrong.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from oa_client.domain.release import manifest_bytes, valid_filename
from oa_client.errors import SignatureError, SyncError
from oa_client.i18n import _
from oa_client.version import version_key
from sync.transport import Transport

CHUNK = 256 * 1024
Progress = Callable[[int, int], None]  # (bytes so far, total)


@dataclass(frozen=True)
class Release:
    """A client release as the server announces it."""

    version: str
    platform: str
    filename: str
    size: int
    sha256: str
    signature: str
    certificate_pem: str
    url: str

    def manifest(self) -> bytes:
        """The bytes the signature must cover."""
        return manifest_bytes(version=self.version, platform=self.platform,
                              filename=self.filename, size=self.size, sha256=self.sha256)


def check_release(transport: Transport, *, platform: str, current: str) -> Release | None:
    """The server's current release for `platform` when it is newer than `current`."""
    resp = transport.request("GET", "/client/release", params={"platform": platform},
                             expect=(200, 404))
    if resp.status_code == 404:
        return None
    data = resp.json()
    try:
        release = Release(**{k: data[k] for k in Release.__dataclass_fields__})
    except (KeyError, TypeError) as exc:
        raise SyncError(_("服务器的回应不完整，稍后自动重试"), kind="server") from exc
    if not valid_filename(release.filename):
        raise SignatureError(_("更新包的文件名不可用，已拒绝：{name}").format(name=release.filename))
    return release if version_key(release.version) > version_key(current) else None


def download(transport: Transport, release: Release, *, folder: Path,
             progress: Progress | None = None, cancel: threading.Event | None = None) -> Path:
    """Fetch the package into `folder`, resuming a partial download; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / release.filename
    if final.exists() and final.stat().st_size == release.size:
        return final
    part = folder / (release.filename + ".part")
    have = part.stat().st_size if part.exists() else 0
    if have > release.size:
        part.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    resp = transport.stream(release.url, headers=headers)
    with resp:
        if resp.status_code == 200:
            have = 0  # the server sent it whole
        elif resp.status_code != 206:
            raise transport._error(resp)
        with part.open("ab" if have else "wb") as f:
            for chunk in resp.iter_content(CHUNK):
                if cancel is not None and cancel.is_set():
                    raise SyncError(_("已取消下载，下次会从中断处继续"), kind="cancelled")
                f.write(chunk)
                have += len(chunk)
                if progress is not None:
                    progress(have, release.size)
    if have != release.size:
        raise SyncError(_("更新包没有下载完整，下次会从中断处继续"), kind="network")
    part.replace(final)
    return final


def verify(release: Release, path: Path, *, trust_roots: list[bytes]) -> None:
    """Refuse (SignatureError) unless the CA vouches for the release and the file matches it."""
    if not trust_roots:
        raise SignatureError(_("本机还没有服务器根证书，无法验证更新包；请先同步一次"))
    try:
        cert = x509.load_pem_x509_certificate(release.certificate_pem.encode("ascii"))
        signature = base64.b64decode(release.signature, validate=True)
    except (ValueError, UnicodeEncodeError):
        raise SignatureError(_("更新包的签名无法读取，已拒绝安装")) from None
    if not any(_issued_by(cert, root) for root in trust_roots):
        raise SignatureError(_("更新包不是本单位服务器签发的，已拒绝安装"))
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = []
    if ExtendedKeyUsageOID.CODE_SIGNING not in usage:
        raise SignatureError(_("更新包的签名证书不能用于签署软件，已拒绝安装"))
    try:
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        key.verify(signature, release.manifest(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError(_("更新包的签名不符（发布信息被改动过），已拒绝安装")) from None
    size, digest = _file_hash(path)
    if size != release.size or digest != release.sha256.lower():
        path.unlink(missing_ok=True)
        raise SignatureError(_("更新包文件已被改动或损坏（校验值不符），已拒绝安装并删除；请重新下载"))


def _issued_by(cert: x509.Certificate, root_pem: bytes) -> bool:
    try:
        root = x509.load_pem_x509_certificate(root_pem)
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return root.not_valid_before_utc <= cert.not_valid_before_utc <= root.not_valid_after_utc


def _file_hash(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
