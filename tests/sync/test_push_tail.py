"""A large push ends with a short batch where that pays: the server says its own time on a
push (`Server-Timing`), the desk learns what a request costs it beyond that and what storing
an answer costs, and sends the last third of the outbox as a batch of its own only when the
answers it then stores while that batch is on the wire save more than the request costs."""

from __future__ import annotations

import time

import pytest
from requests.adapters import HTTPAdapter

from oa_client.services import records as svc
from sync.engine import SyncReport
from sync.transport import server_seconds
from tests.sync.support import live_records, make_client

DRAFTER = "liuyang"
CHIEF = "zhengxiaoyan"  # same unit
OPS = 300


def drafts(client, prefix: str, n: int = OPS) -> list[str]:
    ids = [f"{prefix}-{i:03d}" for i in range(n)]
    for i, rid in enumerate(ids):
        svc.save(client.store, "documents", {"id": rid, "direction": "outgoing",
                                             "doc_kind": "通知", "title": f"公文{i}",
                                             "body": "正文。"})
    return ids


def edit_all(client, ids: list[str], mark: str) -> None:
    for rid in ids:
        rec = client.store.records.get("documents", rid)
        svc.save(client.store, "documents", {**rec, "title": rec["title"] + mark})


def sizes_sent(client) -> list[int]:
    """The number of ops in each push request the desk sends from here on."""
    sent, push = [], client.transport.push
    client.transport.push = lambda ops: sent.append(len(ops)) or push(ops)
    return sent


class SlowLink(HTTPAdapter):
    """A network far from the server: every push request takes `delay` longer."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def send(self, request, **kwargs):
        if request.url.endswith("/sync/push"):
            time.sleep(self.delay)
        return super().send(request, **kwargs)


@pytest.mark.parametrize("header, seconds", [
    ("push;dur=12.5", 0.0125),
    ('push;desc="applied";dur=3, db;dur=9', 0.003),
    (None, None),
    ("", None),
    ("push", None),
    ("push;dur=abc", None),
    ("push;dur=-1", None),
    ("push;dur=99999999", None),
])
def test_the_servers_time_is_read_from_its_header_or_not_at_all(header, seconds):
    assert server_seconds(header) == seconds


def test_the_server_says_its_time_on_a_push(server, tmp_path):
    a = make_client(server, tmp_path, DRAFTER)
    drafts(a, "doc-said", 3)
    said_raw: list[str | None] = []
    a.transport.http.hooks["response"].append(
        lambda resp, *args, **kwargs: said_raw.append(resp.headers.get("Server-Timing")))
    t = time.perf_counter()
    a.engine.push(SyncReport())
    elapsed = time.perf_counter() - t
    said = a.transport.push_server_s
    assert said is not None and 0 < said < elapsed
    # and the desk learned what the request cost beyond it, and what an answer costs to store
    assert a.engine.push_overhead_s is not None and 0 <= a.engine.push_overhead_s < elapsed
    assert a.engine.store_s_per_op is not None and a.engine.store_s_per_op > 0
    assert len(said_raw) == 1 and said_raw[0].startswith("push;dur=")
    assert server_seconds(said_raw[0]) == said
    a.close()


def test_a_large_push_near_the_server_ends_with_a_short_batch(server, tmp_path):
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = 1000
    ids = drafts(a, "doc-tail")
    first = sizes_sent(a)
    a.engine.push(SyncReport())  # nothing measured yet: the outbox goes whole
    assert first == [OPS]
    # as measured near a server: a request costs 1 ms beyond the server's work, storing an
    # answer 0.1 ms (200 answers: 20 ms, against 4 ms for one more request)
    a.engine.push_overhead_s, a.engine.store_s_per_op = 0.001, 0.0001
    edit_all(a, ids, "（修改稿）")
    sent = sizes_sent(a)
    report = SyncReport()
    a.engine.push(report)
    assert sent[0] == 200 and sum(sent) == OPS and sent[-1] < sent[0]
    assert (report.applied, report.conflicts, report.rejected) == (OPS, 0, 0)
    assert a.store.records.pending_ops() == 0
    b = make_client(server, tmp_path, CHIEF)  # a colleague sees every edit, at its revision
    b.engine.sync()
    theirs, ours = live_records(b.store), live_records(a.store)
    assert {rid: rev for rid, (rev, _data) in theirs.items()} == {
        rid: rev for rid, (rev, _data) in ours.items()}
    assert all(theirs[rid][1]["title"] == ours[rid][1]["title"] == f"公文{i}（修改稿）"
               for i, rid in enumerate(ids))
    a.close()
    b.close()


def test_far_from_the_server_the_push_goes_whole(server, tmp_path):
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = 1000
    a.transport.http.mount("http://", SlowLink(0.2))
    ids = drafts(a, "doc-far")
    a.engine.push(SyncReport())
    assert a.engine.push_overhead_s >= 0.2  # measured: the link, not the server
    edit_all(a, ids, "（修改稿）")
    sent = sizes_sent(a)
    report = SyncReport()
    a.engine.push(report)
    assert sent == [OPS] and report.applied == OPS
    a.close()


def test_a_server_that_does_not_say_its_time_gets_whole_batches(server, tmp_path):
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = 1000

    def older_server(resp, *args, **kwargs) -> None:
        resp.headers.pop("Server-Timing", None)

    a.transport.http.hooks["response"].append(older_server)
    ids = drafts(a, "doc-old")
    a.engine.store_s_per_op = 0.0001  # storing would pay, but the request's cost is unknown
    a.engine.push(SyncReport())
    assert a.transport.push_server_s is None and a.engine.push_overhead_s is None
    edit_all(a, ids, "（修改稿）")
    sent = sizes_sent(a)
    a.engine.push(SyncReport())
    assert sent == [OPS] and a.store.records.pending_ops() == 0
    a.close()


def test_a_push_of_a_few_ops_is_never_split(server, tmp_path):
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = 1000
    drafts(a, "doc-few", 30)
    # even near the server: 20 answers take 2 ms to store, less than a request costs
    a.engine.push_overhead_s, a.engine.store_s_per_op = 0.001, 0.0001
    sent = sizes_sent(a)
    a.engine.push(SyncReport())
    assert sent == [30]
    a.close()



def test_a_held_edit_is_rebased_while_the_next_batch_is_on_the_wire(server, tmp_path):
    """The answers of a batch are stored while the next is on the wire; an edit of one of
    its records, saved meanwhile and waiting behind that batch, takes the new revision then
    (a 常用意见 has no server-side rebase: sent on the old revision it would conflict)."""
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = 2
    for i in range(4):
        svc.save(a.store, "phrases", {"id": f"phrase-{i}", "text": f"拟同意{i}"})
    sent, push = [], a.transport.push

    def edit_while_sending(ops):
        sent.append([op["entity_id"] for op in ops])
        if len(sent) == 1:  # phrase-0's create is on the wire: its user edits it
            rec = a.store.records.get("phrases", "phrase-0")
            svc.save(a.store, "phrases", {**rec, "text": "同意，请办公室办理"})
        return push(ops)

    a.transport.push = edit_while_sending
    report = a.engine.sync()
    # phrase-0's edit waited behind the batch after its create, which was on the wire while
    # the create's answer was stored
    assert sent == [["phrase-0", "phrase-1"], ["phrase-2", "phrase-3"], ["phrase-0"]]
    assert (report.applied, report.conflicts, report.rejected) == (5, 0, 0)
    assert a.store.records.pending_ops() == 0
    b = make_client(server, tmp_path, DRAFTER, name="second-desk")
    b.engine.sync()
    assert live_records(b.store, "phrases")["phrase-0"][1]["text"] == "同意，请办公室办理"
    a.close()
    b.close()
