"""Client updates end to end: an admin publishes a package with the CLI, a signed-in client
finds it, downloads it (resuming after an interruption), verifies it against the CA root it
synced; a tampered package, a forged manifest or another CA's signature are refused."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
import requests

from oa_client.errors import SignatureError, SyncError
from oa_server.cli import main as oa_server_cli
from sync import updates
from sync.transport import MemoryTokenStore, Transport
from tests.sync.support import PASSWORD, LiveServer

PLATFORM = "linux-amd64"


def publish(server: LiveServer, package: Path, version: str, platform: str = PLATFORM) -> int:
    """`oa-server client publish` against the live server's database and data directory."""
    settings = server.settings
    return oa_server_cli(["--data-dir", str(settings.data_dir), "--database-url",
                          settings.effective_database_url, "client", "publish", str(package),
                          "--version", version, "--platform", platform])


def signed_in(server: LiveServer) -> Transport:
    """A transport signed in as a demo clerk."""
    transport = Transport(server.url, device_id="dev-updates", tokens=MemoryTokenStore(),
                          sleep=lambda s: None)
    transport.login("zhengxiaoyan", PASSWORD)
    return transport


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A 3 MB 'installer' with varied bytes."""
    path = tmp_path / "zhengwu-oa_0.2.0_amd64.deb"
    path.write_bytes(b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(100_000)))
    return path


class CountingSession(requests.Session):
    """Records the Range header and byte count of every package download."""

    def __init__(self) -> None:
        super().__init__()
        self.ranges: list[str | None] = []

    def get(self, url, **kwargs):
        """Record, then GET."""
        if "/client/packages/" in url:
            self.ranges.append((kwargs.get("headers") or {}).get("Range"))
        return super().get(url, **kwargs)


def test_published_release_is_found_downloaded_resumed_and_verified(
        server: LiveServer, package: Path, tmp_path: Path, capsys) -> None:
    assert publish(server, package, "0.2.0") == 0
    assert "0.2.0" in capsys.readouterr().out
    transport = signed_in(server)
    http = CountingSession()
    transport.http = http
    assert updates.check_release(transport, platform=PLATFORM, current="0.2.0") is None
    assert updates.check_release(transport, platform="windows-amd64", current="0.1.0") is None
    release = updates.check_release(transport, platform=PLATFORM, current="0.1.9")
    assert release is not None and release.version == "0.2.0"
    assert release.sha256 == hashlib.sha256(package.read_bytes()).hexdigest()
    assert release.size == package.stat().st_size

    # the first attempt is cancelled after about 1 MB; the second resumes where it stopped
    cancel, seen = threading.Event(), []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 1_000_000:
            cancel.set()

    folder = tmp_path / "downloads"
    with pytest.raises(SyncError) as stopped:
        updates.download(transport, release, folder=folder, progress=progress, cancel=cancel)
    assert stopped.value.kind == "cancelled"
    part = folder / (release.filename + ".part")
    kept = part.stat().st_size
    assert 1_000_000 <= kept < release.size
    seen.clear()
    path = updates.download(transport, release, folder=folder, progress=lambda d, t: seen.append(d))
    assert http.ranges == [None, f"bytes={kept}-"]
    assert seen[0] > kept and seen[-1] == release.size
    assert path.read_bytes() == package.read_bytes()
    updates.verify(release, path, trust_roots=[transport.ca_root()])


def test_a_tampered_package_is_refused_and_deleted(server: LiveServer, package: Path,
                                                   tmp_path: Path) -> None:
    assert publish(server, package, "0.3.0") == 0
    stored = Path(server.settings.data_dir) / "client-releases" / PLATFORM / "0.3.0" / package.name
    data = bytearray(stored.read_bytes())
    data[1000] ^= 0xFF
    stored.write_bytes(bytes(data))
    transport = signed_in(server)
    release = updates.check_release(transport, platform=PLATFORM, current="0.1.0")
    assert release is not None
    path = updates.download(transport, release, folder=tmp_path / "dl")
    with pytest.raises(SignatureError) as refused:
        updates.verify(release, path, trust_roots=[transport.ca_root()])
    assert "已被改动或损坏" in refused.value.message
    assert not path.exists()


def test_a_forged_manifest_is_refused(server: LiveServer, package: Path, tmp_path: Path) -> None:
    assert publish(server, package, "0.3.0") == 0
    current = Path(server.settings.data_dir) / "client-releases" / PLATFORM / "current.json"
    forged = json.loads(current.read_text())
    forged["version"] = "9.9.9"  # a release nobody signed
    current.write_text(json.dumps(forged))
    transport = signed_in(server)
    release = updates.check_release(transport, platform=PLATFORM, current="0.1.0")
    assert release is not None and release.version == "9.9.9"
    path = tmp_path / package.name
    path.write_bytes(package.read_bytes())
    with pytest.raises(SignatureError) as refused:
        updates.verify(release, path, trust_roots=[transport.ca_root()])
    assert "签名不符" in refused.value.message


def test_a_release_signed_under_another_ca_is_refused(server: LiveServer, package: Path,
                                                      tmp_path: Path) -> None:
    from docs_exchange.pki import CertificateAuthority

    assert publish(server, package, "0.3.0") == 0
    transport = signed_in(server)
    release = updates.check_release(transport, platform=PLATFORM, current="0.1.0")
    assert release is not None
    other = CertificateAuthority.create("另一个单位根证书")
    with pytest.raises(SignatureError) as refused:
        updates.verify(release, package, trust_roots=[other.cert_pem])
    assert "不是本单位服务器签发" in refused.value.message
    with pytest.raises(SignatureError):
        updates.verify(release, package, trust_roots=[])


def test_publish_refuses_bad_versions_and_platforms(server: LiveServer, package: Path,
                                                    capsys) -> None:
    assert publish(server, package, "latest") == 1
    assert "版本号格式不对" in capsys.readouterr().err
    assert publish(server, package, "1.0.0", platform="macos-arm64") == 1
    assert "不支持的平台" in capsys.readouterr().err


def test_release_endpoints_need_sign_in_and_answer_json_errors(server: LiveServer) -> None:
    anonymous = requests.get(f"{server.url}/api/v1/client/release", params={"platform": PLATFORM},
                             timeout=10)
    assert anonymous.status_code == 401
    transport = signed_in(server)
    missing = transport.request("GET", "/client/release", params={"platform": PLATFORM},
                                expect=(404,))
    assert missing.json()["code"] and "还没有发布" in missing.json()["message"]
    escape = transport.request("GET", "/client/packages/linux-amd64/1.0.0/..%2F..%2Fca%2Fca-key.pem",
                               expect=(404,))
    assert escape.json()["code"]
