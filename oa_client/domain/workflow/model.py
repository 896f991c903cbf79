"""Workflow records: append-only events in, flow state (steps, holders, history) out."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import pydantic

from oa_client.domain.calendar_range import SaneDate, SaneDatetime

BEIJING = timezone(timedelta(hours=8), "CST")
Outcome = Literal["accepted", "superseded", "rejected"]
Status = Literal["not_started", "running", "completed", "refused"]


class PinnedPart(pydantic.BaseModel):
    """One share of a step as the authority resolved it from the org chart."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    key: str
    label: str = ""
    holders: tuple[str, ...]


class Opened(pydantic.BaseModel):
    """The step an event opened and its holders, pinned by the server so replay needs no org chart."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    step: str
    parts: tuple[PinnedPart, ...]


class Event(pydantic.BaseModel):
    """One append-only workflow event; the flow state is a function of the list of them."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    id: str = pydantic.Field(min_length=1)
    action: Literal["start", "submit", "approve", "read", "return", "withdraw", "reassign",
                    "delegate", "urge"]
    actor_id: str = pydantic.Field(min_length=1)
    at: SaneDatetime
    step: str | None = None
    on_behalf_of: str | None = None
    opinion: str = ""
    signature_id: str | None = None
    to_step: str | None = None
    to_user: str | None = None
    valid_from: SaneDate | None = None
    valid_until: SaneDate | None = None
    values: dict[str, Any] = {}
    unit_id: str | None = None
    department_id: str | None = None
    opened: Opened | None = None


class Delegation(pydantic.BaseModel):
    """委托: `delegate_id` may act for `principal_id` from `start` to `end` (dates, inclusive)."""

    model_config = pydantic.ConfigDict(frozen=True)

    principal_id: str
    delegate_id: str
    start: date
    end: date
    event_id: str | None = None

    def covers(self, at: datetime) -> bool:
        """True when the moment `at` falls inside the window (dates in Beijing time when `at` is aware)."""
        local = at.astimezone(BEIJING) if at.tzinfo is not None else at
        return self.start <= local.date() <= self.end


class Part(pydantic.BaseModel):
    """A share of a step one of `holders` must act on (one department in 会签, one reader in 传阅)."""

    key: str
    label: str = ""
    holders: list[str]
    former: list[str] = []
    done_by: str | None = None
    done_for: str | None = None
    done_event: str | None = None
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        """True when someone finished this share."""
        return self.done_event is not None


class Activation(pydantic.BaseModel):
    """One visit of a step: its shares, when it opened, its deadline and urges."""

    seq: int
    step: str
    name: str
    mode: Literal["any", "all"] = "any"
    parts: list[Part]
    opened_at: datetime
    opened_by: str | None = None
    opened_by_actor: str | None = None
    due_at: datetime | None = None
    urges: int = 0
    last_urged_at: datetime | None = None
    touched: bool = False

    @property
    def complete(self) -> bool:
        """True when enough shares are done for the step to close."""
        done = [p.done for p in self.parts]
        return all(done) if self.mode == "all" else any(done)

    @property
    def holders(self) -> list[str]:
        """Everyone who still has a share to act on, in order, without repeats."""
        out: list[str] = []
        for p in self.parts:
            if not p.done:
                out.extend(h for h in p.holders if h not in out)
        return out

    @property
    def acted(self) -> list[str]:
        """Who has finished a share (e.g. 传阅: who has read)."""
        return [p.done_for or p.done_by or "" for p in self.parts if p.done]

    def overdue(self, now: datetime) -> bool:
        """True when the step is past its deadline at `now` (the injected clock)."""
        return self.due_at is not None and now > self.due_at


class HistoryEntry(pydantic.BaseModel):
    """One event as the flow took it: accepted, superseded (kept, shown to its author) or rejected."""

    event_id: str
    action: str
    step: str | None
    actor_id: str
    on_behalf_of: str | None = None
    delegated: bool = False
    opinion: str = ""
    signature_id: str | None = None
    at: datetime
    to_step: str | None = None
    to_user: str | None = None
    outcome: Outcome = "accepted"
    reason_code: str | None = None
    reason: str | None = None


class Allowed(pydantic.BaseModel):
    """One action a user may take now, on which step, and for whom (委托)."""

    model_config = pydantic.ConfigDict(frozen=True)

    action: str
    step: str | None
    on_behalf_of: str | None = None
    targets: tuple[str, ...] = ()


class FlowState(pydantic.BaseModel):
    """Everything known about one flow instance after replaying its events."""

    flow_id: str
    status: Status = "not_started"
    starter_id: str | None = None
    unit_id: str | None = None
    department_id: str | None = None
    values: dict[str, Any] = {}
    current: Activation | None = None
    trail: list[Activation] = []
    history: list[HistoryEntry] = []
    delegations: list[Delegation] = []
    held: dict[str, list[str]] = {}
    seq: int = 0

    @property
    def path(self) -> list[str]:
        """Steps finished on the way to the current one (return/withdraw targets)."""
        return [a.step for a in self.trail]

    @property
    def holders(self) -> list[str]:
        """Who must act now."""
        return self.current.holders if self.current else []

    @property
    def superseded(self) -> list[HistoryEntry]:
        """Actions that arrived after their step closed: kept and shown to their authors."""
        return [h for h in self.history if h.outcome == "superseded"]

    def overdue(self, now: datetime) -> bool:
        """True when the current step is past its deadline at `now`."""
        return self.current is not None and self.current.overdue(now)

    @property
    def blocked(self) -> bool:
        """True when the flow waits on a step nobody holds (the org chart has no one for it)."""
        return self.status == "running" and self.current is not None and not self.current.parts

    def superseded_for(self, user_id: str) -> list[HistoryEntry]:
        """The superseded actions `user_id` wrote (to show them to their author)."""
        return [h for h in self.superseded if h.actor_id == user_id]
