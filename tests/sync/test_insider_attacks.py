"""Insiders with valid accounts, trying what issue 19 found (findings 4 and 5): a colleague of
the same section reads a draft, its body and attachment; an outsider asks whether a hash
exists, or attaches another unit's hash to her own draft to download it; an edit of an
attachment widens who sees it. Each is refused."""

from __future__ import annotations

import hashlib

import pytest

from oa_client.errors import SyncError
from oa_client.services import records as svc
from tests.sync.support import add_user, live_records, make_client

SECRET = "内部讨论稿：机构调整方案（未定稿）".encode() * 50


def push(client, entity, rid, payload, *, kind="upsert", base_rev=0):
    """One raw op, as a tampered client would send it."""
    op = {"op_id": f"{entity}-{rid}-{kind}-{base_rev}", "kind": kind, "entity": entity,
          "entity_id": rid, "base_rev": base_rev, "payload": payload}
    return client.transport.push([op]).results[0]


def attachments(client) -> set[str]:
    """Ids of the attachments a desk holds."""
    return {r[0] for r in client.store.db.query("SELECT id FROM attachments WHERE deleted = 0")}


@pytest.fixture
def drafter(server, tmp_path):
    c = make_client(server, tmp_path, "liuyang")  # 市政府办公室 秘书科, 拟稿人
    yield c
    c.close()


def _draft_with_attachment(drafter) -> tuple[str, str]:
    svc.save(drafter.store, "documents", {"id": "doc-secret", "direction": "outgoing",
                                          "title": "关于机构调整的请示", "body": "正文草稿"})
    svc.append_event(drafter.store, "document_revisions", {
        "id": "rev-secret", "document_id": "doc-secret", "base_rev": 0,
        "author_id": drafter.transport.user["id"], "body": "修改后的正文：机构调整"})
    svc.attach(drafter.store, owner_kind="document", owner_id="doc-secret", name="方案.txt",
               data=SECRET)
    report = drafter.engine.sync()
    assert (report.rejected, report.conflicts, report.uploaded) == (0, 0, 1)
    att_id = drafter.store.db.query("SELECT id FROM attachments")[0][0]
    return att_id, hashlib.sha256(SECRET).hexdigest()


@pytest.mark.parametrize("login", ["zhangsan", "wuqiong", "caiweidong"])
def test_a_colleague_gets_nothing_of_a_draft(server, tmp_path, drafter, login):
    """Same section (a second 拟稿人), the unit's 文书, the unit's 印章管理员: none of them is on
    the draft's route, so none pulls it, its body revision or attachment, nor downloads it."""
    add_user(server, like="liuyang", login="zhangsan", roles=("drafter",))
    _att, sha = _draft_with_attachment(drafter)
    colleague = make_client(server, tmp_path, login)
    colleague.engine.sync()
    for collection in ("documents", "document_revisions"):
        assert live_records(colleague.store, collection) == {}, collection
    assert attachments(colleague) == set()
    assert colleague.transport.blob_size(sha) is None
    with pytest.raises(SyncError) as err:
        colleague.transport.download(sha)
    assert err.value.kind == "not_found"
    edit = push(colleague, "documents", "doc-secret", {"title": "篡改", "direction": "outgoing"},
                base_rev=1)
    assert (edit.status, edit.code) == ("rejected", "forbidden")
    colleague.close()


def test_the_upload_start_is_no_existence_oracle(server, tmp_path, drafter):
    """Asking to upload a stored hash one may not read answers as for a hash nobody has:
    an upload to make, never `complete`."""
    _att, sha = _draft_with_attachment(drafter)
    outsider = make_client(server, tmp_path, "huangli")  # 财政局 文书
    assert outsider.transport.blob_size(sha) is None
    stored = outsider.transport.upload_start(sha, len(SECRET))
    absent = outsider.transport.upload_start("ab" * 32, len(SECRET))
    assert stored.complete is False and absent.complete is False
    assert (stored.received, absent.received) == (0, 0)
    assert stored.upload_id and stored.upload_id != absent.upload_id
    assert outsider.transport.blob_size(sha) is None  # still nothing to read
    outsider.close()


def test_attaching_a_foreign_hash_to_ones_own_draft_reads_nothing(server, tmp_path, drafter):
    """The 财政局 clerk gets 404 for another unit's file, attaches its hash to her own draft,
    and tries to download it: the reference is refused and the download stays 404."""
    _att, sha = _draft_with_attachment(drafter)
    clerk = make_client(server, tmp_path, "huangli")
    with pytest.raises(SyncError) as err:
        clerk.transport.download(sha)
    assert err.value.kind == "not_found"
    svc.save(clerk.store, "documents", {"id": "doc-bait", "direction": "outgoing",
                                        "title": "财政局的草稿", "body": "正文"})
    assert clerk.engine.sync().rejected == 0
    result = push(clerk, "attachments", "att-steal", {
        "owner_kind": "document", "owner_id": "doc-bait", "name": "偷来的.txt",
        "size": len(SECRET), "sha256": sha, "mime": "text/plain"}, kind="upsert")
    assert (result.status, result.code) == ("rejected", "blob_unknown")
    assert clerk.transport.blob_size(sha) is None
    with pytest.raises(SyncError) as err:
        clerk.transport.download(sha)
    assert err.value.kind == "not_found"
    # nor by swapping the hash of an attachment of her own that she did upload
    svc.attach(clerk.store, owner_kind="document", owner_id="doc-bait", name="自己的.txt",
               data=b"own bytes")
    assert clerk.engine.sync().rejected == 0
    own = clerk.store.db.query("SELECT id, rev FROM attachments WHERE name = '自己的.txt'")[0]
    swap = push(clerk, "attachments", own[0], {
        "owner_kind": "document", "owner_id": "doc-bait", "name": "自己的.txt",
        "size": len(SECRET), "sha256": sha}, base_rev=own[1])
    assert swap.status == "rejected" and swap.code in ("immutable", "blob_unknown")
    with pytest.raises(SyncError):
        clerk.transport.download(sha)
    clerk.close()


def test_the_same_bytes_uploaded_by_their_owner_are_hers_to_attach(server, tmp_path, drafter):
    """Someone who really holds the bytes uploads them (deduplicated silently) and may then
    attach them: knowing the content is not an attack."""
    _att, sha = _draft_with_attachment(drafter)
    clerk = make_client(server, tmp_path, "huangli")
    svc.save(clerk.store, "documents", {"id": "doc-own", "direction": "outgoing",
                                        "title": "同样的附件", "body": "正文"})
    svc.attach(clerk.store, owner_kind="document", owner_id="doc-own", name="方案副本.txt",
               data=SECRET)
    report = clerk.engine.sync()
    assert (report.uploaded, report.rejected) == (1, 0)
    assert clerk.transport.download(sha) == SECRET
    clerk.close()


def test_an_attachment_edit_neither_widens_nor_resets_who_sees_it(server, tmp_path, drafter):
    """An edit of an attachment carrying audience lists does not share it with another unit
    (today the edit is refused outright: attachments are immutable), and the people who saw
    it (the drafter's 科长) still do."""
    att_id, sha = _draft_with_attachment(drafter)
    chief = make_client(server, tmp_path, "zhengxiaoyan")  # 秘书科 科长: 核稿, sees drafts
    outsider = make_client(server, tmp_path, "huangli")
    finance = outsider.transport.user["unit"]["id"]
    rev = drafter.store.db.query("SELECT rev FROM attachments WHERE id = ?", (att_id,))[0][0]
    widened = push(drafter, "attachments", att_id, {
        "owner_kind": "document", "owner_id": "doc-secret", "name": "方案（改名）.txt",
        "size": len(SECRET), "sha256": sha, "audience_units": [finance],
        "audience_users": [outsider.transport.user["id"]], "audience_roles": ["clerk"]},
        base_rev=rev)
    assert widened.status == "rejected"  # an attachment never changes (the new version is new)
    outsider.engine.sync()
    assert attachments(outsider) == set()
    assert outsider.transport.blob_size(sha) is None
    chief.engine.sync()
    assert attachments(chief) == {att_id}
    assert chief.transport.download(sha) == SECRET
    for c in (chief, outsider):
        c.close()


def test_an_action_on_an_id_someone_else_holds_says_nothing_of_it(server, tmp_path, drafter):
    """An action op on an id taken by a record the sender cannot see gets the answer of any
    refusal (`forbidden`), not `duplicate`: the answer must not tell that the record exists.
    Whoever sees the record is still told it is a duplicate."""
    _att, _sha = _draft_with_attachment(drafter)  # doc-secret, rev-secret: liuyang's alone
    outsider = make_client(server, tmp_path, "huangli")  # 财政局
    payload = {"document_id": "doc-secret", "base_rev": 0, "body": "探测"}
    taken = push(outsider, "document_revisions", "rev-secret", payload, kind="action")
    assert (taken.status, taken.code) == ("rejected", "forbidden"), taken
    assert taken.message == "您无权修改该记录，或该记录不存在"
    mine = push(drafter, "document_revisions", "rev-secret", payload, kind="action")
    assert (mine.status, mine.code) == ("rejected", "duplicate"), mine
    outsider.close()
