"""Schema migrations by `PRAGMA user_version`. Each step is frozen once shipped.

v1  core records of DESIGN §2 and the sync tables (outbox, cursors, conflicts)
v2  full-text search: trigram FTS5 and a bigram index for 1–2 character queries
v3  attachments outside the database (encrypted files named by keyed content hash)
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

# The searchable text of every kind lands in search_items (kept by triggers);
# search_tri serves 3+ character terms, search_bi (bigrams, contentless, no
# positions) 1–2; both keep title and body apart so title matches rank first.
V2 = """
CREATE TABLE search_items (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, ref_id TEXT NOT NULL, owner_id TEXT,
    title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, ref_id));
CREATE VIRTUAL TABLE search_tri USING fts5(
    title, body, content='search_items', content_rowid='rowid', tokenize='trigram');
CREATE VIRTUAL TABLE search_bi USING fts5(
    gt, gb, content='', contentless_delete=1, detail=column,
    tokenize='unicode61 remove_diacritics 0');

CREATE TRIGGER search_items_ai AFTER INSERT ON search_items BEGIN
    INSERT INTO search_tri(rowid, title, body) VALUES (new.rowid, new.title, new.body);
    INSERT INTO search_bi(rowid, gt, gb) VALUES (new.rowid, oa_grams(new.title), oa_grams(new.body));
END;
CREATE TRIGGER search_items_ad AFTER DELETE ON search_items BEGIN
    INSERT INTO search_tri(search_tri, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
    DELETE FROM search_bi WHERE rowid = old.rowid;
END;
CREATE TRIGGER search_items_au AFTER UPDATE OF title, body ON search_items BEGIN
    INSERT INTO search_tri(search_tri, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO search_tri(rowid, title, body) VALUES (new.rowid, new.title, new.body);
    DELETE FROM search_bi WHERE rowid = old.rowid;
    INSERT INTO search_bi(rowid, gt, gb) VALUES (new.rowid, oa_grams(new.title), oa_grams(new.body));
END;

-- documents: title and body
CREATE TRIGGER documents_search_ai AFTER INSERT ON documents WHEN new.deleted = 0 BEGIN
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        VALUES ('document', new.id, new.id, new.title, new.body);
END;
CREATE TRIGGER documents_search_au AFTER UPDATE OF title, body, deleted ON documents BEGIN
    DELETE FROM search_items WHERE kind = 'document' AND ref_id = old.id AND new.deleted = 1;
    UPDATE search_items SET title = new.title, body = new.body
        WHERE kind = 'document' AND ref_id = new.id AND new.deleted = 0;
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        SELECT 'document', new.id, new.id, new.title, new.body WHERE new.deleted = 0
        AND NOT EXISTS (SELECT 1 FROM search_items WHERE kind = 'document' AND ref_id = new.id);
END;
CREATE TRIGGER documents_search_ad AFTER DELETE ON documents BEGIN
    DELETE FROM search_items WHERE kind = 'document' AND ref_id = old.id;
END;

-- opinions (意见) recorded on flow events
CREATE TRIGGER events_search_ai AFTER INSERT ON document_events
    WHEN coalesce(json_extract(new.data, '$.opinion'), '') != '' BEGIN
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        VALUES ('opinion', new.id, new.document_id,
                coalesce((SELECT title FROM documents WHERE id = new.document_id), ''),
                json_extract(new.data, '$.opinion'));
END;
CREATE TRIGGER events_search_au AFTER UPDATE OF data, deleted ON document_events BEGIN
    DELETE FROM search_items WHERE kind = 'opinion' AND ref_id = old.id;
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        SELECT 'opinion', new.id, new.document_id,
               coalesce((SELECT title FROM documents WHERE id = new.document_id), ''),
               json_extract(new.data, '$.opinion')
        WHERE new.deleted = 0 AND coalesce(json_extract(new.data, '$.opinion'), '') != '';
END;
CREATE TRIGGER events_search_ad AFTER DELETE ON document_events BEGIN
    DELETE FROM search_items WHERE kind = 'opinion' AND ref_id = old.id;
END;

-- attachments: their names
CREATE TRIGGER attachments_search_ai AFTER INSERT ON attachments WHEN new.deleted = 0 BEGIN
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        VALUES ('attachment', new.id, new.owner_id, new.name, '');
END;
CREATE TRIGGER attachments_search_au AFTER UPDATE OF name, deleted ON attachments BEGIN
    DELETE FROM search_items WHERE kind = 'attachment' AND ref_id = old.id;
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        SELECT 'attachment', new.id, new.owner_id, new.name, '' WHERE new.deleted = 0;
END;
CREATE TRIGGER attachments_search_ad AFTER DELETE ON attachments BEGIN
    DELETE FROM search_items WHERE kind = 'attachment' AND ref_id = old.id;
END;

-- meetings and supervision tasks: their titles and notes
CREATE TRIGGER meetings_search_ai AFTER INSERT ON meetings WHEN new.deleted = 0 BEGIN
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        VALUES ('meeting', new.id, new.id, new.title,
                coalesce(json_extract(new.data, '$.agenda'), ''));
END;
CREATE TRIGGER meetings_search_au AFTER UPDATE OF title, data, deleted ON meetings BEGIN
    DELETE FROM search_items WHERE kind = 'meeting' AND ref_id = old.id;
    INSERT INTO search_items(kind, ref_id, owner_id, title, body)
        SELECT 'meeting', new.id, new.id, new.title,
               coalesce(json_extract(new.data, '$.agenda'), '') WHERE new.deleted = 0;
END;
CREATE TRIGGER meetings_search_ad AFTER DELETE ON meetings BEGIN
    DELETE FROM search_items WHERE kind = 'meeting' AND ref_id = old.id;
END;

-- backfill what v1 already held
INSERT INTO search_items(kind, ref_id, owner_id, title, body)
    SELECT 'document', id, id, title, body FROM documents WHERE deleted = 0;
INSERT INTO search_items(kind, ref_id, owner_id, title, body)
    SELECT 'opinion', e.id, e.document_id, coalesce(d.title, ''), json_extract(e.data, '$.opinion')
    FROM document_events e LEFT JOIN documents d ON d.id = e.document_id
    WHERE e.deleted = 0 AND coalesce(json_extract(e.data, '$.opinion'), '') != '';
INSERT INTO search_items(kind, ref_id, owner_id, title, body)
    SELECT 'attachment', id, owner_id, name, '' FROM attachments WHERE deleted = 0;
INSERT INTO search_items(kind, ref_id, owner_id, title, body)
    SELECT 'meeting', id, id, title, coalesce(json_extract(data, '$.agenda'), '')
    FROM meetings WHERE deleted = 0;
"""

V3 = """
ALTER TABLE attachments ADD COLUMN storage TEXT NOT NULL DEFAULT 'inline';
ALTER TABLE attachments ADD COLUMN blob_name TEXT;
ALTER TABLE attachments ADD COLUMN file_key BLOB;
CREATE INDEX attachments_blob ON attachments(blob_name);
INSERT OR IGNORE INTO meta(key, value) VALUES ('blob_name_secret', lower(hex(randomblob(32))));
"""

MIGRATIONS: list[str] = [V1, V2, V3]
LATEST_VERSION = len(MIGRATIONS)
