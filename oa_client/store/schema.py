"""Schema migrations by `PRAGMA user_version`. Each step is frozen once shipped.

v1  core records of DESIGN §2 and the sync tables (outbox, cursors, conflicts)
v2  full-text search: trigram FTS5 and a bigram index for 1–2 character queries
v3  attachments outside the database (encrypted files named by keyed content hash)
v4  attachment sync: uploaded flag, remembered upload sessions (resumable)
v5  module records: meeting replies and sign-ins, request and task events, task
    progress, saved phrases, delegations, the holiday calendar
v6  deferrable search indexing: a bulk pull stores records without indexing them
    (a `search_deferred` meta row exists only inside its transaction) and
    `search.catch_up` indexes them afterwards
v7  the audit checkpoints an auditor's client has seen (signed by the server; kept so a
    truncated or rewritten audit chain is noticed against them)
v8  seal verdicts: what checking a 正式文件's seal found here, per file (by SHA-256)
v9  reminders the server's jobs send (`notifications`) and the server's policy records
    (`settings`: supervision warning days …)
v10 the search indexes gather up to 32 MB of terms before writing a segment (FTS5
    `hashsize`; 1 MB by default), so a catch-up chunk is written as one segment instead of
    many small ones that must be merged again
v11 who a record waits for (`record_people`: a 公文's holders and 传阅 readers, a request's
    approvers and applicant), kept by triggers, so 待办 reads an index, not every record
v12 the bigram index rebuilt as one column of tokens without positions, a title's marked
    (`detail=none`, `ascii` tokenizer): the same hits for less index to build
v13 the update triggers (search index, `record_people`) name the columns they watch
    (`UPDATE OF …`): a push's answer moving only `rev` no longer runs them row by row
"""

from __future__ import annotations

# Every record table shares this shape: the id, the server revision it was last
# seen at (0 = never synced), a tombstone flag, a JSON `data` for the rest of the
# record, and a few columns pulled out for indexes.
_RECORD = """
    id TEXT PRIMARY KEY,
    rev INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    data TEXT NOT NULL DEFAULT '{}'"""

V1 = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE units ({_RECORD},
    parent_id TEXT, name TEXT NOT NULL, doc_code TEXT, level TEXT);
CREATE TABLE users ({_RECORD},
    unit_id TEXT, login TEXT, name TEXT NOT NULL);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE documents ({_RECORD},
    direction TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
    doc_kind TEXT, title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '',
    doc_number TEXT, secrecy TEXT, urgency TEXT, state TEXT, unit_id TEXT,
    created_at TEXT);
CREATE INDEX documents_updated ON documents(updated_at DESC);
CREATE INDEX documents_state ON documents(state, updated_at DESC);
CREATE TABLE document_events ({_RECORD},
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    step TEXT, action TEXT, actor_id TEXT, status TEXT, created_at TEXT);
CREATE INDEX document_events_doc ON document_events(document_id, created_at);
CREATE TABLE document_revisions ({_RECORD},
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    base_rev INTEGER, author_id TEXT, conflicted INTEGER NOT NULL DEFAULT 0, created_at TEXT);
CREATE INDEX document_revisions_doc ON document_revisions(document_id);

CREATE TABLE attachments ({_RECORD},
    owner_kind TEXT NOT NULL, owner_id TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, mime TEXT, content BLOB);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id);

CREATE TABLE rooms ({_RECORD}, name TEXT NOT NULL, unit_id TEXT, capacity INTEGER);
CREATE TABLE meetings ({_RECORD},
    title TEXT NOT NULL, room_id TEXT, starts_at TEXT, ends_at TEXT,
    organiser_id TEXT, state TEXT);
CREATE INDEX meetings_time ON meetings(starts_at);

CREATE TABLE service_items ({_RECORD}, code TEXT, name TEXT NOT NULL, category TEXT);
CREATE TABLE requests ({_RECORD},
    service_item_id TEXT, applicant_id TEXT, state TEXT, submitted_at TEXT);

CREATE TABLE data_items ({_RECORD}, code TEXT, name TEXT NOT NULL, version INTEGER);
CREATE TABLE report_templates ({_RECORD},
    name TEXT NOT NULL, unit_id TEXT, period TEXT, deadline TEXT);
CREATE TABLE submissions ({_RECORD},
    template_id TEXT, unit_id TEXT, period TEXT, state TEXT);

CREATE TABLE supervision_tasks ({_RECORD},
    title TEXT NOT NULL, lead_unit_id TEXT, deadline TEXT, state TEXT);

CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    base_rev INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT);
CREATE TABLE sync_cursors (
    collection TEXT PRIMARY KEY, cursor INTEGER NOT NULL DEFAULT 0, server_id TEXT);
CREATE TABLE conflicts (
    id TEXT PRIMARY KEY, entity TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,
    local_payload TEXT, server_payload TEXT, server_rev INTEGER,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    resolved_at TEXT, resolution TEXT);
"""

# Search: search_items maps an FTS rowid to (kind, ref_id); the text itself stays in
# the source tables (read back through the search_text view), so nothing is stored
# twice. search_tri (trigram, contentless) serves 3+ character terms, search_bi
# (bigrams, contentless, no positions) 1–2; both keep title and body apart so
# title matches rank first (from v12 search_bi by marking a title's tokens, see V12).
# Triggers keep everything in step with the records.


def _row(kind: str, r: str) -> str:
    """SQL for the search rowid of record `r` (`new`/`old`) of one kind."""
    return f"(SELECT rowid FROM search_items WHERE kind = '{kind}' AND ref_id = {r}.id)"


#: the bigram row a trigger adds (v2: title and body columns; v12: one column, see V12)
_BI_V2 = """
    INSERT INTO search_bi(rowid, gt, gb)
        SELECT {row}, oa_grams({title}),
               oa_grams({body})
        WHERE {cond};"""
_BI_V12 = """
    INSERT INTO search_bi(rowid, g)
        SELECT {row}, oa_record_grams({title}, {body})
        WHERE {cond};"""


def _add(kind: str, owner: str, title: str, body: str, cond: str, bi: str = _BI_V2) -> str:
    """Trigger statements that index the new record of one kind where `cond` holds."""
    row = _row(kind, "new")
    return f"""
    INSERT INTO search_items(kind, ref_id, owner_id)
        SELECT '{kind}', new.id, {owner.format(r='new')} WHERE {cond};
    INSERT INTO search_tri(rowid, title, body)
        SELECT {row}, {title.format(r='new')}, {body.format(r='new')}
        WHERE {cond};""" + bi.format(
        row=row, title=title.format(r="new"), body=body.format(r="new"), cond=cond)


def _drop(kind: str) -> str:
    """Trigger statements that remove the old record of one kind from the index."""
    row = _row(kind, "old")
    return f"""
    DELETE FROM search_tri WHERE rowid = {row};
    DELETE FROM search_bi WHERE rowid = {row};
    DELETE FROM search_items WHERE kind = '{kind}' AND ref_id = old.id;"""


def _watched(watch: str) -> tuple[str, ...]:
    """The columns an update trigger watches: deleted and those named."""
    return ("deleted", *watch.split())


def _changed(watch: str) -> str:
    """The update condition: deleted or one of the watched columns changed."""
    return " OR ".join(f"old.{c} IS NOT new.{c}" for c in _watched(watch))


def _kind(kind: str, table: str, owner: str, title: str, body: str, watch: str,
          when: str = "new.deleted = 0") -> str:
    """Triggers that index one kind of record (title/body are SQL over `new.`/`old.`)."""
    add, drop = _add(kind, owner, title, body, when), _drop(kind)
    return f"""
CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} BEGIN{add}
END;
CREATE TRIGGER {table}_search_au AFTER UPDATE ON {table} WHEN {_changed(watch)} BEGIN{drop}{add}
END;
CREATE TRIGGER {table}_search_ad AFTER DELETE ON {table} BEGIN{drop}
END;
"""


_OPINION = "json_extract({r}.data, '$.opinion')"
_DOC_TITLE = "coalesce((SELECT title FROM documents WHERE id = {r}.document_id), '')"

V2 = (
    """
CREATE TABLE search_items (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, ref_id TEXT NOT NULL, owner_id TEXT,
    UNIQUE (kind, ref_id));
CREATE VIRTUAL TABLE search_tri USING fts5(
    title, body, content='', contentless_delete=1, tokenize='trigram');
CREATE VIRTUAL TABLE search_bi USING fts5(
    gt, gb, content='', contentless_delete=1, detail=column,
    tokenize='unicode61 remove_diacritics 0');
CREATE VIEW search_text(rowid, kind, ref_id, owner_id, title, body) AS
    SELECT si.rowid, si.kind, si.ref_id, si.owner_id, d.title, d.body
        FROM search_items si JOIN documents d ON si.kind = 'document' AND d.id = si.ref_id
    UNION ALL
    SELECT si.rowid, si.kind, si.ref_id, si.owner_id, coalesce(d.title, ''),
           json_extract(e.data, '$.opinion')
        FROM search_items si JOIN document_events e ON si.kind = 'opinion' AND e.id = si.ref_id
        LEFT JOIN documents d ON d.id = e.document_id
    UNION ALL
    SELECT si.rowid, si.kind, si.ref_id, si.owner_id, a.name, ''
        FROM search_items si JOIN attachments a ON si.kind = 'attachment' AND a.id = si.ref_id
    UNION ALL
    SELECT si.rowid, si.kind, si.ref_id, si.owner_id, m.title,
           coalesce(json_extract(m.data, '$.agenda'), '')
        FROM search_items si JOIN meetings m ON si.kind = 'meeting' AND m.id = si.ref_id;
"""
    + _kind("document", "documents", "{r}.id", "{r}.title", "{r}.body", "title body")
    + _kind("attachment", "attachments", "{r}.owner_id", "{r}.name", "''", "name")
    + _kind("meeting", "meetings", "{r}.id", "{r}.title",
            "coalesce(json_extract({r}.data, '$.agenda'), '')", "title data")
    + _kind("opinion", "document_events", "{r}.document_id", _DOC_TITLE, _OPINION, "data",
            when="new.deleted = 0 AND coalesce(json_extract(new.data, '$.opinion'), '') != ''")
    + """
-- backfill what v1 already held
INSERT INTO search_items(kind, ref_id, owner_id)
    SELECT 'document', id, id FROM documents WHERE deleted = 0;
INSERT INTO search_items(kind, ref_id, owner_id)
    SELECT 'opinion', id, document_id FROM document_events
    WHERE deleted = 0 AND coalesce(json_extract(data, '$.opinion'), '') != '';
INSERT INTO search_items(kind, ref_id, owner_id)
    SELECT 'attachment', id, owner_id FROM attachments WHERE deleted = 0;
INSERT INTO search_items(kind, ref_id, owner_id)
    SELECT 'meeting', id, id FROM meetings WHERE deleted = 0;
INSERT INTO search_tri(rowid, title, body) SELECT rowid, title, body FROM search_text;
INSERT INTO search_bi(rowid, gt, gb) SELECT rowid, oa_grams(title), oa_grams(body) FROM search_text;
"""
)

V3 = """
ALTER TABLE attachments ADD COLUMN storage TEXT NOT NULL DEFAULT 'inline';
ALTER TABLE attachments ADD COLUMN blob_name TEXT;
ALTER TABLE attachments ADD COLUMN file_key BLOB;
CREATE INDEX attachments_blob ON attachments(blob_name);
INSERT OR IGNORE INTO meta(key, value) VALUES ('blob_name_secret', lower(hex(randomblob(32))));
"""

V4 = """
ALTER TABLE attachments ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;
CREATE INDEX attachments_sync ON attachments(storage, uploaded);
CREATE INDEX outbox_entity ON outbox(entity, entity_id, state);
CREATE TABLE blob_uploads (
    sha256 TEXT PRIMARY KEY, upload_id TEXT NOT NULL, size INTEGER NOT NULL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
"""

V5 = f"""
CREATE TABLE meeting_replies ({_RECORD},
    meeting_id TEXT NOT NULL, user_id TEXT, unit_id TEXT, answer TEXT, created_at TEXT);
CREATE INDEX meeting_replies_meeting ON meeting_replies(meeting_id);
CREATE TABLE checkins ({_RECORD},
    meeting_id TEXT NOT NULL, user_id TEXT, at TEXT);
CREATE INDEX checkins_meeting ON checkins(meeting_id);
CREATE TABLE request_events ({_RECORD},
    request_id TEXT NOT NULL, step TEXT, action TEXT, actor_id TEXT, status TEXT, created_at TEXT);
CREATE INDEX request_events_request ON request_events(request_id, created_at);
CREATE TABLE task_events ({_RECORD},
    task_id TEXT NOT NULL, action TEXT, actor_id TEXT, status TEXT, created_at TEXT);
CREATE INDEX task_events_task ON task_events(task_id, created_at);
CREATE TABLE task_progress ({_RECORD},
    task_id TEXT NOT NULL, unit_id TEXT, author_id TEXT, created_at TEXT);
CREATE INDEX task_progress_task ON task_progress(task_id, created_at);
CREATE TABLE phrases ({_RECORD}, owner_id TEXT, text TEXT NOT NULL DEFAULT '');
CREATE TABLE delegations ({_RECORD},
    principal_id TEXT, delegate_id TEXT, start TEXT, end TEXT);
CREATE TABLE calendars ({_RECORD}, year INTEGER);
CREATE INDEX meetings_room ON meetings(room_id, starts_at);
CREATE INDEX requests_state ON requests(state, submitted_at);
CREATE INDEX submissions_template ON submissions(template_id, unit_id, period);
CREATE INDEX supervision_tasks_unit ON supervision_tasks(lead_unit_id, deadline);
"""


def _deferrable(kind: str, table: str, owner: str, title: str, body: str, watch: str,
                when: str = "new.deleted = 0", bi: str = _BI_V2) -> str:
    """v6 insert/update triggers of one kind: they index unless a deferred write is under way.

    An update always drops the old entry, so a record changed during a deferred bulk pull
    is simply "not indexed" and the catch-up picks it up like a new one.
    """
    return f"""
DROP TRIGGER {table}_search_ai;
DROP TRIGGER {table}_search_au;
CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} WHEN {_LIVE} BEGIN{
    _add(kind, owner, title, body, when, bi)}
END;
{_search_au(kind, table, owner, title, body, watch, when, bi)}"""


#: a trigger's condition: no deferred bulk write is under way (v6)
_LIVE = "NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred')"


def _search_au(kind: str, table: str, owner: str, title: str, body: str, watch: str,
               when: str, bi: str, *, of: bool = False) -> str:
    """The v6 update trigger of one kind (`of`, from v13: fired only by an update that sets
    one of the columns it watches)."""
    event = f"UPDATE OF {', '.join(_watched(watch))}" if of else "UPDATE"
    return f"""CREATE TRIGGER {table}_search_au AFTER {event} ON {table} WHEN {_changed(watch)} BEGIN{
    _drop(kind)}{_add(kind, owner, title, body, when + " AND " + _LIVE, bi)}
END;
"""


def _all_deferrable(bi: str) -> str:
    """The v6 insert/update triggers of every kind, with the bigram row `bi`."""
    return (
        _deferrable("document", "documents", "{r}.id", "{r}.title", "{r}.body", "title body",
                    bi=bi)
        + _deferrable("attachment", "attachments", "{r}.owner_id", "{r}.name", "''", "name",
                      bi=bi)
        + _deferrable("meeting", "meetings", "{r}.id", "{r}.title",
                      "coalesce(json_extract({r}.data, '$.agenda'), '')", "title data", bi=bi)
        + _deferrable("opinion", "document_events", "{r}.document_id", _DOC_TITLE, _OPINION,
                      "data", bi=bi, when="new.deleted = 0"
                      " AND coalesce(json_extract(new.data, '$.opinion'), '') != ''")
    )


V6 = _all_deferrable(_BI_V2)

V7 = """
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    head_hash TEXT NOT NULL,
    at TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""

V8 = """
CREATE TABLE seal_verdicts (
    sha256 TEXT PRIMARY KEY, ok INTEGER NOT NULL, verdict TEXT NOT NULL,
    checked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
"""

V9 = f"""
CREATE TABLE notifications ({_RECORD},
    kind TEXT, collection TEXT, record_id TEXT, created_at TEXT);
CREATE INDEX notifications_created ON notifications(created_at);
CREATE TABLE settings ({_RECORD}, scope TEXT);
"""

#: FTS5 keeps this many bytes of pending terms in memory, within a transaction, before it
#: writes them out as a segment
FTS_HASH_BYTES = 32 * 1024 * 1024

V10 = f"""
INSERT INTO search_tri(search_tri, rank) VALUES ('hashsize', {FTS_HASH_BYTES});
INSERT INTO search_bi(search_bi, rank) VALUES ('hashsize', {FTS_HASH_BYTES});
"""

#: the people a record waits for, by table: JSON arrays in `data` and plain columns
PEOPLE = {"documents": (("holder_ids", "reader_ids"), ()),
          "requests": (("approver_ids",), ("applicant_id",))}


def people_backfill(table: str, *, past_rowid: bool = False) -> list[str]:
    """Set-based `record_people` rows for a table's records (what its insert trigger writes row
    by row); with `past_rowid`, only for rows past the rowid given as the one parameter."""
    arrays, columns = PEOPLE[table]
    into = "INSERT OR IGNORE INTO record_people (person_id, collection, record_id)"
    past = " AND r.rowid > ?" if past_rowid else ""
    out = [f"{into} SELECT j.value, '{table}', r.id FROM {table} AS r,"
           f" json_each(r.data, '$.{f}') AS j WHERE j.value IS NOT NULL AND j.value != ''{past}"
           for f in arrays]
    out += [f"{into} SELECT r.{c}, '{table}', r.id FROM {table} AS r"
            f" WHERE r.{c} IS NOT NULL AND r.{c} != ''{past}" for c in columns]
    return out


def _people_fill(table: str, r: str) -> str:
    """The statement adding the `record_people` rows of record `r` (`new`) of a table (v11)."""
    arrays, columns = PEOPLE[table]
    # one statement over the union of the sources: a person both holder and reader is
    # one row (OR IGNORE would not do: an upsert's conflict policy overrides a trigger's)
    parts = [f"SELECT j.value AS v FROM json_each({r}.data, '$.{f}') AS j" for f in arrays]
    parts += [f"SELECT {r}.{c} AS v" for c in columns]
    return (f"INSERT INTO record_people (person_id, collection, record_id) SELECT p.v,"
            f" '{table}', {r}.id FROM ({' UNION '.join(parts)}) AS p"
            f" WHERE p.v IS NOT NULL AND p.v != '' AND NOT EXISTS (SELECT 1 FROM"
            f" record_people AS q WHERE q.person_id = p.v AND q.collection = '{table}'"
            f" AND q.record_id = {r}.id);")


def _people(table: str) -> str:
    """v11 triggers keeping `record_people` for one table, and its back-fill."""
    backfill = "\n".join(f"{sql};" for sql in people_backfill(table))
    return f"""
CREATE TRIGGER {table}_people_ai AFTER INSERT ON {table} BEGIN
    {_people_fill(table, "new")}
END;
{_people_au(table)}
CREATE TRIGGER {table}_people_ad AFTER DELETE ON {table} BEGIN {_people_drop(table)} END;
{backfill}
"""


def _people_drop(table: str) -> str:
    """The statement removing a record's `record_people` rows (v11)."""
    return f"DELETE FROM record_people WHERE collection = '{table}' AND record_id = old.id;"


def _people_au(table: str, *, of: bool = False) -> str:
    """The v11 update trigger keeping `record_people` for one table (`of`, from v13: fired
    only by an update that sets `data` or a column holding people)."""
    arrays, columns = PEOPLE[table]
    changed = " OR ".join([f"json_extract(old.data, '$.{f}') IS NOT json_extract(new.data, '$.{f}')"
                           for f in arrays] + [f"old.{c} IS NOT new.{c}" for c in columns])
    event = f"UPDATE OF {', '.join(('data', *columns))}" if of else "UPDATE"
    return f"""CREATE TRIGGER {table}_people_au AFTER {event} ON {table} WHEN {changed} BEGIN
    {_people_drop(table)}
    {_people_fill(table, "new")}
END;"""


V11 = """
CREATE TABLE record_people (
    person_id TEXT NOT NULL, collection TEXT NOT NULL, record_id TEXT NOT NULL,
    PRIMARY KEY (person_id, collection, record_id)) WITHOUT ROWID;
CREATE INDEX record_people_record ON record_people(collection, record_id);
""" + _people("documents") + _people("requests")

#: v12: the bigram index rebuilt as one column of tokens (a title's marked, grams.TITLE_MARK)
#: without positions (`detail=none`: its queries are single tokens, `"会议"` or `"知" *`)
#: split by the plain `ascii` tokenizer (tokens arrive NFKC and lower case; every non-ASCII
#: character belongs to a token): the same hits, the cheapest index FTS5 builds
V12 = f"""
DROP TABLE search_bi;
CREATE VIRTUAL TABLE search_bi USING fts5(
    g, content='', contentless_delete=1, detail=none, tokenize="ascii tokenchars '~'");
INSERT INTO search_bi(search_bi, rank) VALUES ('hashsize', {FTS_HASH_BYTES});
{_all_deferrable(_BI_V12)}
INSERT INTO search_bi(rowid, g) SELECT rowid, oa_record_grams(title, body) FROM search_text;
"""



def _update_of() -> str:
    """v13: every update trigger again, naming the columns it watches (same conditions, same
    statements): an update setting none of them (a push's answer sets only `rev`) skips it."""
    search = (
        ("document", "documents", "{r}.id", "{r}.title", "{r}.body", "title body",
         "new.deleted = 0"),
        ("attachment", "attachments", "{r}.owner_id", "{r}.name", "''", "name",
         "new.deleted = 0"),
        ("meeting", "meetings", "{r}.id", "{r}.title",
         "coalesce(json_extract({r}.data, '$.agenda'), '')", "title data", "new.deleted = 0"),
        ("opinion", "document_events", "{r}.document_id", _DOC_TITLE, _OPINION, "data",
         "new.deleted = 0 AND coalesce(json_extract(new.data, '$.opinion'), '') != ''"),
    )
    out = [f"DROP TRIGGER {table}_search_au;\n"
           + _search_au(kind, table, owner, title, body, watch, when, _BI_V12, of=True)
           for kind, table, owner, title, body, watch, when in search]
    out += [f"DROP TRIGGER {table}_people_au;\n{_people_au(table, of=True)}\n" for table in PEOPLE]
    return "".join(out)


V13 = _update_of()

MIGRATIONS: list[str] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13]
LATEST_VERSION = len(MIGRATIONS)
