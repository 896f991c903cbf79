"""Shapes of record fields every desk relies on: the fields each collection's records hold
as one value (text, a number or nothing; desks keep them in indexed columns, so the server
refuses a list or an object there), and lists of text (ids, names)."""

from __future__ import annotations

from typing import Any


def is_text_list(value: Any) -> bool:
    """Whether a JSON value is a list of text (ids, names), as many record fields are."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


#: collection → indexed fields (besides id, rev, deleted, updated_at and the JSON rest)
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "units": ("parent_id", "name", "doc_code", "level"),
    "users": ("unit_id", "login", "name"),
    "documents": (
        "direction", "doc_kind", "title", "body", "doc_number", "secrecy", "urgency", "state",
        "unit_id", "created_at",
    ),
    "document_events": ("document_id", "step", "action", "actor_id", "status", "created_at"),
    "document_revisions": ("document_id", "base_rev", "author_id", "conflicted", "created_at"),
    "rooms": ("name", "unit_id", "capacity"),
    "meetings": ("title", "room_id", "starts_at", "ends_at", "organiser_id", "state"),
    "service_items": ("code", "name", "category"),
    "requests": ("service_item_id", "applicant_id", "state", "submitted_at"),
    "data_items": ("code", "name", "version"),
    "report_templates": ("name", "unit_id", "period", "deadline"),
    "submissions": ("template_id", "unit_id", "period", "state"),
    "supervision_tasks": ("title", "lead_unit_id", "deadline", "state"),
    "meeting_replies": ("meeting_id", "user_id", "unit_id", "answer", "created_at"),
    "checkins": ("meeting_id", "user_id", "at"),
    "request_events": ("request_id", "step", "action", "actor_id", "status", "created_at"),
    "task_events": ("task_id", "action", "actor_id", "status", "created_at"),
    "task_progress": ("task_id", "unit_id", "author_id", "created_at"),
    "phrases": ("owner_id", "text"),
    "delegations": ("principal_id", "delegate_id", "start", "end"),
    "calendars": ("year",),
    "notifications": ("kind", "collection", "record_id", "created_at"),
    "settings": ("scope",),
}
