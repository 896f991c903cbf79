"""Logging to a rotating file in the profile: events and timings, never document text or secrets."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_SECRET = re.compile(r"(?i)(password|passphrase|token|secret|key)(\s*[=:]\s*)\S+")


class RedactSecrets(logging.Filter):
    """Blank anything that looks like `password=…` or `token: …` in a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets blanked."""
        message = record.getMessage()
        clean = _SECRET.sub(r"\1\2***", message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def setup_logging(log_dir: Path, *, level: int = logging.INFO) -> logging.Handler:
    """Send the product's log to `log_dir/client.log` (1 MB × 5, owner-only)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / "client.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
