"""A signed-in session (profile, person, server) and the steps to get one — no Qt here;
every function runs on a worker thread."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oa_client.domain.ids import new_id
from oa_client.errors import OAError, StoreError
from oa_client.i18n import _
from oa_client.services import account
from oa_client.store.local import LocalStore, open_store
from oa_client.store.profile import load_profile, profile_slug
from oa_client.store.wipe import wipe, wipe_dir
from sync.org import check_server, fetch_org
from sync.transport import KeyringTokenStore, MemoryTokenStore, Transport

log = logging.getLogger(__name__)


class SafeTokenStore:
    """The refresh token in the keyring when remembered; in memory when not, or when the
    keyring cannot be used (the passphrase path)."""

    def __init__(self, profile_id: str, *, backend: Any = None, remember: bool = True) -> None:
        self.memory = MemoryTokenStore()
        self.keyring = KeyringTokenStore(profile_id, backend=backend) if remember else None

    def load(self) -> str | None:
        """The refresh token."""
        if self.memory.token:
            return self.memory.token
        if self.keyring is not None:
            try:
                return self.keyring.load()
            except Exception:  # a keyring that cannot answer: ask to sign in again
                log.warning("keyring unavailable for the refresh token")
        return None

    def save(self, token: str | None) -> None:
        """Keep (or forget) the refresh token."""
        self.memory.save(token)
        if self.keyring is not None:
            try:
                self.keyring.save(token)
            except Exception:
                log.warning("refresh token kept in memory only (keyring unavailable)")


@dataclass
class ShellSession:
    """An open profile and who is signed in; `transport` None = offline only."""

    store: LocalStore
    me: dict
    server_url: str
    profile_dir: Path
    transport: Transport | None = None
    keyring_backend: Any = None
    names: dict[str, str] = field(default_factory=dict)
    #: typed at an offline start: used once to sign in when the server is back
    offline_password: str | None = field(default=None, repr=False)

    @property
    def user_id(self) -> str:
        """My user id."""
        return str(self.me.get("id") or "")

    @property
    def unit_id(self) -> str:
        """My unit's id."""
        return str((self.me.get("unit") or {}).get("id") or "")

    @property
    def unit_name(self) -> str:
        """My unit's name."""
        return str((self.me.get("unit") or {}).get("name") or "")

    @property
    def display_name(self) -> str:
        """My name."""
        return str(self.me.get("name") or self.me.get("login") or "")

    def load_names(self) -> None:
        """id → name for units and people (the org cache), for lists and details."""
        names = {}
        for table in ("units", "users", "rooms", "service_items", "report_templates"):
            for rid, name in self.store.db.query(f"SELECT id, name FROM {table} WHERE deleted = 0"):
                names[rid] = name
        self.names = names


def profile_dir_for(root: Path, server_url: str, login: str) -> Path:
    """Where the profile of `login` on `server_url` lives."""
    return Path(root) / profile_slug(server_url.rstrip("/"), login)


def profile_exists(root: Path, server_url: str, login: str) -> bool:
    """Whether this computer holds a profile for that user and server."""
    try:
        return load_profile(profile_dir_for(root, server_url, login)) is not None
    except StoreError:
        return True


def make_transport(server_url: str, *, profile_id: str, device_id: str, backend: Any,
                   remember: bool, proxy: str = "") -> Transport:
    """A transport for this device with the refresh token kept as chosen."""
    from oa_client.i18n import current_language

    transport = Transport(server_url.rstrip("/"), device_id=device_id, device_name=_("办公电脑"),
                          tokens=SafeTokenStore(profile_id, backend=backend, remember=remember),
                          language="en" if current_language() == "en" else "zh-CN")
    if proxy:
        transport.http.proxies = {"http": proxy, "https": proxy}
    return transport


def login_online(server_url: str, login: str, password: str, *, root: Path, backend: Any,
                 remember: bool, proxy: str = "") -> tuple[Transport, dict]:
    """Check the address is an OA server and sign in; the profile is not touched yet."""
    server_url = server_url.strip().rstrip("/")
    pdir = profile_dir_for(root, server_url, login)
    profile = load_profile(pdir)
    device_id = _stored_device_id(pdir) if profile else None
    transport = make_transport(server_url, profile_id=profile_slug(server_url, login),
                               device_id=device_id or new_id(), backend=backend,
                               remember=remember, proxy=proxy)
    check_server(transport)
    user = transport.login(login, password)
    return transport, user


def _stored_device_id(pdir: Path) -> str | None:
    marker = pdir / "device_id"
    with contextlib.suppress(OSError):
        return marker.read_text().strip() or None
    return None


def open_profile(root: Path, server_url: str, login: str, *, backend: Any,
                 passphrase: str | None = None, create: bool = True) -> LocalStore:
    """Open (or create) the encrypted profile of `login` on `server_url`."""
    server_url = server_url.strip().rstrip("/")
    return open_store(profile_dir_for(root, server_url, login), passphrase=passphrase,
                      keyring_backend=backend, server_url=server_url, username=login,
                      create=create)


def finish_sign_in(store: LocalStore, transport: Transport, user: dict, password: str, *,
                   backend: Any) -> ShellSession:
    """Remember the person and an offline-unlock hash, adopt the device id, fetch the org chart."""
    with store.db.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('device_id', ?)",
                     (transport.device_id,))
    device_id = store.device_id()
    transport.device_id = device_id
    with contextlib.suppress(OSError):
        (store.profile.path / "device_id").write_text(device_id)
    account.remember_password(store, password)
    account.save_me(store, user)
    try:
        fetch_org(store, transport)
    except OAError as exc:
        log.warning("org chart not fetched: %s", exc)
    session = ShellSession(store=store, me=user, server_url=transport.base_url,
                           profile_dir=store.profile.path, transport=transport,
                           keyring_backend=backend)
    session.load_names()
    return session


def open_offline(store: LocalStore, password: str | None, *, server_url: str, backend: Any,
                 remember: bool, proxy: str = "") -> ShellSession:
    """A session on the cached profile; `password` (when given) is checked offline first."""
    if password is not None:
        ok = account.check_password(store, password)
        if ok is None:
            raise StoreError(_("本机数据中没有可用于离线核对的密码，请联网登录一次。"), kind="no_password")
        if not ok:
            raise StoreError(_("密码不正确（离线核对）。"), kind="wrong_password")
    me = account.load_me(store)
    if me is None:
        raise StoreError(_("本机数据中没有登录信息，请联网登录一次。"), kind="no_password")
    transport = make_transport(server_url or store.profile.server_url,
                               profile_id=store.profile.profile_id, device_id=store.device_id(),
                               backend=backend, remember=remember, proxy=proxy)
    session = ShellSession(store=store, me=me, server_url=transport.base_url,
                           profile_dir=store.profile.path, transport=transport,
                           keyring_backend=backend, offline_password=password)
    session.load_names()
    return session


def forget_sign_in(transport: Transport) -> None:
    """Drop a sign-in that goes no further (e.g. a forced password change cancelled)."""
    try:
        transport.logout()
    except OAError as exc:
        log.info("server sign-out not confirmed: %s", exc)


def discard_revoked(root: Path, server_url: str, login: str, transport: Transport | None, *,
                    final_push: bool, backend: Any) -> int | None:
    """A revoked device met at sign-in: push what the profile holds (when allowed), say
    goodbye, and remove the profile from this computer. Returns how many changes were left
    unsent (None: the profile could not be read)."""
    from sync import account as account_sync

    left = None
    pdir = profile_dir_for(root, server_url, login)
    store = None
    if load_profile(pdir) is not None:
        try:
            store = open_profile(root, server_url, login, backend=backend, create=False)
        except OAError as exc:  # no key: nothing can be pushed; the files go all the same
            log.warning("revoked profile not opened: %s", exc)
    if transport is not None and final_push:
        try:
            if store is not None:
                transport.device_id = store.device_id()
                account_sync.farewell(store, transport, final_push=True)
            else:
                account_sync.goodbye(transport)
        except OAError as exc:
            log.warning("last push before the wipe not finished: %s", exc)
    if store is not None:
        left = store.records.pending_ops()
        wipe(store, backend=backend)
    else:
        wipe_dir(pdir, profile_slug(server_url, login), backend=backend)
    return left


def sign_out(session: ShellSession) -> None:
    """Sign out on the server (when reachable), forget the token, close the profile."""
    if session.transport is not None:
        try:
            session.transport.logout()
        except OAError as exc:
            log.info("server sign-out not confirmed: %s", exc)
            session.transport.tokens.save(None)
    session.store.close()


def remove_profile(session: ShellSession) -> None:
    """Sign out and delete this profile from this computer: data, key and token."""
    sign_out(session)
    wipe(session.store, backend=session.keyring_backend)
