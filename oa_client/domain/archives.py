"""Limits on the zip packages users bring in (DOCX, XLSX): a small file must not unpack into
gigabytes (a "zip bomb") or thousands of parts before a library starts reading it.

`check_archive(zf)` reads only the package's directory (names and declared sizes), so it
is cheap and runs before python-docx or openpyxl open anything.
"""

from __future__ import annotations

import zipfile

from oa_client.errors import ValidationError
from oa_client.i18n import _

MAX_FILE_BYTES = 50 * 1024 * 1024  # the file as brought in
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # every part, unpacked
MAX_PARTS = 5000
MAX_RATIO = 200  # unpacked / packed, per part (Office files stay well under 100)
_RATIO_FLOOR = 1024 * 1024  # small parts may compress better than that harmlessly


def check_archive(zf: zipfile.ZipFile, *, kind: str, max_unpacked: int = MAX_UNPACKED_BYTES,
                  max_parts: int = MAX_PARTS, max_ratio: int = MAX_RATIO) -> None:
    """ValidationError when the package has too many parts, unpacks too large, or a part
    unpacks too far beyond its packed size; `kind` names the file type in the message."""
    parts = zf.infolist()
    if len(parts) > max_parts:
        raise ValidationError(_("{kind} 文件包含的部件过多（{n} 个），已拒绝导入").format(
            kind=kind, n=len(parts)), field="file", parts=len(parts))
    total = 0
    for part in parts:
        total += part.file_size
        if total > max_unpacked:
            raise ValidationError(_("{kind} 文件解压后超过 {mb} MB，已拒绝导入").format(
                kind=kind, mb=max_unpacked // (1024 * 1024)), field="file")
        if part.file_size > _RATIO_FLOOR and part.file_size > max_ratio * max(part.compress_size, 1):
            raise ValidationError(_("{kind} 文件的压缩比异常（{name}），可能是恶意构造的文件，已拒绝导入").format(
                kind=kind, name=part.filename), field="file", part=part.filename)


def check_file_size(size: int, *, kind: str, limit: int = MAX_FILE_BYTES) -> None:
    """ValidationError when a file to import is larger than `limit` bytes."""
    if size > limit:
        raise ValidationError(_("{kind} 文件超过 {mb} MB，请拆分后再导入").format(
            kind=kind, mb=limit // (1024 * 1024)), field="file", size=size)
