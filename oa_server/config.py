"""Server settings: defaults, then `OA_SERVER_*` environment variables, then CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "OA_SERVER_"
DB_FILENAME = "oa-server.sqlite3"


def default_data_dir() -> Path:
    """The per-machine data directory (platformdirs), holding the SQLite file by default."""
    return Path(platformdirs.user_data_dir("oa-server", appauthor=False))


class Settings(BaseModel):
    """Everything the server can be told; one instance per app."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    #: the master secret every key is derived from (every worker/node the same); else the key file
    secret_key: str | None = None
    #: where the key file lives (default: `<data dir>-keys/server-keys.json`, beside the data directory)
    key_file: Path | None = None
    #: unit seal keys in a PKCS#11 token (a 密码机 or USB key; SoftHSM2 in tests): the module's path,
    #: the token's label and the user PIN; unset, seal keys are encrypted files under the data directory
    pkcs11_module: str | None = None
    pkcs11_token: str | None = None
    pkcs11_pin: str | None = None
    #: how long a published CRL is valid (hours); the CA re-signs it on demand, at least this often
    crl_valid_hours: int = 7 * 24
    #: minutes between signed audit checkpoints made by the server itself (0: only on demand)
    audit_checkpoint_minutes: int = 60
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600
    #: failed sign-ins of a (login, source address) pair before it must wait, and the
    #: waits: base, base·2, base·4 … seconds, at most cap; forgotten after a day
    signin_free_failures: int = 3
    signin_delay_base: int = 1
    signin_delay_cap: int = 10 * 60
    max_body_bytes: int = 10 * 1024 * 1024
    upload_quota_bytes: int = 2 * 1024 * 1024 * 1024  # a user's unfinished uploads, declared sizes
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 64 * 1024
    argon2_parallelism: int = 2
    sql_echo: bool = False
    #: where attachments live: unset, `<data dir>/blobs`; a directory; or `s3://bucket/prefix`
    #: on S3-compatible storage (every node of several the same)
    blob_store: str | None = None
    #: the S3 endpoint (MinIO, Ceph RGW, a cloud's OSS); unset, AWS's own
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    #: unset, boto3's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws, instance role)
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = Field(default=None, repr=False)
    #: "path" (MinIO, Ceph), "virtual" (Aliyun OSS and others that require it) or "auto"
    s3_addressing_style: str = "path"
    #: seconds to wait for a connection before answering 503 storage_unavailable
    s3_connect_timeout: float = 5.0
    #: run the clock-driven jobs (oa_server.jobs) in this process; every worker may
    jobs: bool = True
    #: seconds between two looks at the jobs' periods
    jobs_interval: float = 30.0

    @property
    def effective_database_url(self) -> str:
        """The database URL: the given one, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / DB_FILENAME}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `OA_SERVER_*` variables; explicit non-None overrides win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw not in (None, ""):
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    def to_env(self) -> dict[str, str]:
        """These settings as `OA_SERVER_*` variables, for worker processes."""
        out: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is not None:
                out[ENV_PREFIX + name.upper()] = (
                    str(value).lower() if isinstance(value, bool) else str(value)
                )
        return out
