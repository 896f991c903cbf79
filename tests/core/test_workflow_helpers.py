"""Shared org chart and event builder for the workflow tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from oa_client.domain.workflow import Event, StaticOrg, Workflow, default_flow

UNIT = "U1"
T0 = datetime(2026, 3, 2, 9, 0)  # a Monday

ORG = StaticOrg({
    ("office_director", UNIT, None): ["odir"],
    ("deputy_leader", UNIT, None): ["dep"],
    ("principal_leader", UNIT, None): ["boss"],
    ("clerk", UNIT, None): ["clerk", "clerk2"],
    ("seal_keeper", UNIT, None): ["sealer"],
    ("supervisor", UNIT, None): ["sup"],
    ("section_chief", UNIT, "D2"): ["chief2"],
    ("section_chief", UNIT, "D3"): ["chief3"],
    ("section_chief", UNIT, "D4"): ["chief4a", "chief4b"],
    ("principal_leader", "U2", None): ["boss2"],
})


class Script:
    """Builds events with fresh ids and times one hour apart, and replays them."""

    def __init__(self, flow: str, **engine: Any) -> None:
        self.wf = Workflow(default_flow(flow), resolver=ORG, **engine)
        self.events: list[Event] = []
        self._ids = itertools.count(1)
        self.now = T0

    def ev(self, action: str, actor: str, step: str | None = None, **kw: Any) -> Event:
        """A new event one hour after the last (not yet added)."""
        self.now = kw.pop("at", self.now + timedelta(hours=1))
        return Event(id=f"e{next(self._ids)}", action=action, actor_id=actor, step=step,
                     at=self.now, **kw)

    def do(self, action: str, actor: str, step: str | None = None, **kw: Any):
        """Add an event and return the replayed state."""
        self.events.append(self.ev(action, actor, step, **kw))
        return self.state

    @property
    def state(self):
        """The state after all events so far."""
        return self.wf.replay(self.events)

    def last(self):
        """How the last event was taken."""
        return self.state.history[-1]
