"""What an approved request produces (its `outputs`: 在职证明, 备案表 …) and who acts on it next.

The server numbers an output when the request is approved (oa_server/authority/
requests_output.py). A sealed one waits for a 印章管理员 of the request's unit, whom the server
adds to the request's `audience_users`, to have it laid out and sealed (出具); the output then
carries its file's `attachment_id` and the applicant can download it. An unsealed one is made
when the applicant first asks for it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

SEAL_KEEPER = "seal_keeper"


def awaiting_seal(request: dict[str, Any], *, user_id: str, roles: Collection[str]) -> bool:
    """Whether the approved request's sealed output waits for me, a 印章管理员 it names, to 出具 it."""
    outputs = request.get("outputs") or []
    return (SEAL_KEEPER in roles and request.get("state") == "approved" and bool(outputs)
            and bool(outputs[0].get("sealed")) and not outputs[0].get("attachment_id")
            and user_id in (request.get("audience_users") or []))


def output_ready(request: dict[str, Any]) -> bool:
    """Whether the applicant can fetch the approved request's output now: issued by the 印章管理员
    when it is sealed, made on demand when it is not."""
    outputs = request.get("outputs") or []
    return (request.get("state") == "approved" and bool(outputs)
            and (bool(outputs[0].get("attachment_id")) or not outputs[0].get("sealed")))
