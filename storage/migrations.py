"""Numbered schema migrations. Never edit one that has been released: add the next."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("hvis")


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    """Sessions, prompts, replies, votes and the event ledger; every row carries its team_id."""
    _run(db, """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            title TEXT NOT NULL,
            channel TEXT NOT NULL,
            deck TEXT NOT NULL,
            language TEXT NOT NULL,
            timezone TEXT NOT NULL,
            anonymity TEXT NOT NULL CHECK (anonymity IN ('named', 'confidential', 'anonymous', 'choice')),
            state TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'closed')),
            start_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT,
            closed_at TEXT,
            wrapped_up_at TEXT,
            wrapup_attempts INTEGER NOT NULL DEFAULT 0,
            exported_at TEXT,
            anonymity_fixed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_channel ON sessions(team_id, channel);
        CREATE TABLE session_facilitators (
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            PRIMARY KEY (session_id, user_id)
        );
        CREATE TABLE prompts (
            id INTEGER PRIMARY KEY,
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            help TEXT NOT NULL DEFAULT '',
            options TEXT NOT NULL DEFAULT '[]',
            scale_labels TEXT NOT NULL DEFAULT '[]',
            due_at TEXT NOT NULL,
            remind_at TEXT,
            close_at TEXT,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'posting', 'posted', 'missed', 'failed', 'closed')),
            posted_at TEXT,
            message_ts TEXT,
            reminded_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            UNIQUE (session_id, key)
        );
        CREATE INDEX prompts_due ON prompts(state, due_at);
        CREATE INDEX prompts_message ON prompts(message_ts);
        CREATE TABLE replies (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            ts TEXT,
            source TEXT NOT NULL CHECK (source IN ('thread', 'modal')),
            user_id TEXT,
            author TEXT NOT NULL,
            anonymous INTEGER NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            edited INTEGER NOT NULL DEFAULT 0,
            edit_ts TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            origin TEXT UNIQUE,
            post_attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX replies_message ON replies(channel, ts);
        CREATE INDEX replies_prompt ON replies(prompt_id);
        CREATE TABLE votes (
            team_id TEXT NOT NULL,
            reply_id TEXT NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
            voter TEXT NOT NULL,
            source TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (reply_id, voter)
        );
        CREATE TABLE participants (
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
            person TEXT NOT NULL,
            PRIMARY KEY (prompt_id, person)
        ) WITHOUT ROWID;
        CREATE TABLE deleted_messages (
            team_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            ts TEXT NOT NULL,
            PRIMARY KEY (channel, ts)
        );
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE TABLE events (
            event_id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE TABLE notices (
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            person TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (session_id, person, kind)
        );
        CREATE TABLE people (
            team_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (team_id, user_id)
        );
        """)


@migrations(name="0002_outbox_people_and_unlinkable_counts")
def outbox_people_and_unlinkable_counts(db: Database) -> None:
    """Every exactly-once post in one outbox; votes ordered by Slack's own timestamps (no event ledger);
    anonymous people counted in a table of their own; the workspace directory; forget-me tombstones;
    themes kept at close; paused sessions; late replies."""
    for table in ("sessions", "session_facilitators", "prompts", "replies", "votes", "participants", "notices",
                  "people", "events"):
        db.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
    db.execute("DROP INDEX IF EXISTS sessions_channel")
    db.execute("DROP INDEX IF EXISTS prompts_due")
    db.execute("DROP INDEX IF EXISTS prompts_message")
    db.execute("DROP INDEX IF EXISTS replies_message")
    db.execute("DROP INDEX IF EXISTS replies_prompt")
    _run(db, """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            title TEXT NOT NULL,
            channel TEXT NOT NULL,
            channel_name TEXT NOT NULL DEFAULT '',
            deck TEXT NOT NULL,
            language TEXT NOT NULL,
            timezone TEXT NOT NULL,
            anonymity TEXT NOT NULL CHECK (anonymity IN ('named', 'confidential', 'anonymous', 'choice')),
            anonymity_fixed INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL CHECK (state IN ('scheduled', 'running', 'paused', 'closed')),
            start_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT,
            closed_at TEXT,
            auto_close INTEGER NOT NULL DEFAULT 1,
            members INTEGER,
            narrative TEXT
        );
        CREATE INDEX sessions_channel ON sessions(channel, state);
        CREATE TABLE session_facilitators (
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            PRIMARY KEY (session_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE prompts (
            id INTEGER PRIMARY KEY,
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('open', 'vote', 'scale')),
            text TEXT NOT NULL,
            help TEXT NOT NULL DEFAULT '',
            options TEXT NOT NULL DEFAULT '[]',
            scale_labels TEXT NOT NULL DEFAULT '[]',
            due_at TEXT NOT NULL,
            remind_at TEXT,
            close_at TEXT,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'posting', 'posted', 'missed', 'failed', 'closed')),
            posted_at TEXT,
            message_ts TEXT,
            error TEXT,
            UNIQUE (session_id, key)
        );
        CREATE INDEX prompts_due ON prompts(state, due_at);
        CREATE INDEX prompts_message ON prompts(message_ts);
        CREATE TABLE replies (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            ts TEXT,
            source TEXT NOT NULL CHECK (source IN ('thread', 'modal')),
            user_id TEXT,
            author TEXT NOT NULL,
            anonymous INTEGER NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            edited INTEGER NOT NULL DEFAULT 0,
            edit_ts TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            late INTEGER NOT NULL DEFAULT 0,
            embedding BLOB
        );
        CREATE UNIQUE INDEX replies_message ON replies(channel, ts);
        CREATE INDEX replies_session ON replies(session_id, prompt_id);
        CREATE INDEX replies_unembedded ON replies(created_at) WHERE embedding IS NULL;
        CREATE TABLE votes (
            team_id TEXT NOT NULL,
            reply_id TEXT NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
            voter TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('reaction', 'button')),
            active INTEGER NOT NULL,
            event_ts TEXT NOT NULL,
            PRIMARY KEY (reply_id, voter, source)
        ) WITHOUT ROWID;
        CREATE TABLE anonymous_people (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            person TEXT NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (session_id, person)
        ) WITHOUT ROWID;
        CREATE TABLE notices (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            person TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (session_id, person, kind)
        ) WITHOUT ROWID;
        CREATE TABLE posts (
            key TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL,
            thread_ts TEXT,
            user_id TEXT,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
            ts TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            started_at TEXT,
            error TEXT
        );
        CREATE INDEX posts_open ON posts(state) WHERE state IN ('queued', 'sending');
        CREATE TABLE people (
            team_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            guest INTEGER NOT NULL DEFAULT 0,
            bot INTEGER NOT NULL DEFAULT 0,
            role TEXT,
            PRIMARY KEY (team_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE forgotten (
            person TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        CREATE TABLE written_files (
            path TEXT PRIMARY KEY,
            digest TEXT NOT NULL
        );
        CREATE TABLE themes (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            label TEXT NOT NULL,
            keywords TEXT NOT NULL,
            reply_ids TEXT NOT NULL,
            quotes TEXT NOT NULL,
            PRIMARY KEY (prompt_id, position)
        );
        INSERT INTO sessions (id, team_id, title, channel, deck, language, timezone, anonymity, anonymity_fixed,
                              state, start_at, created_at, created_by, closed_at)
            SELECT id, team_id, title, channel, deck, language, timezone, anonymity, anonymity_fixed,
                   CASE state WHEN 'draft' THEN 'scheduled' ELSE state END, start_at, created_at, created_by, closed_at
            FROM old_sessions;
        INSERT INTO session_facilitators SELECT team_id, session_id, user_id FROM old_session_facilitators;
        INSERT INTO prompts (id, team_id, session_id, key, position, kind, text, help, options, scale_labels, due_at,
                             remind_at, close_at, state, posted_at, message_ts, error)
            SELECT id, team_id, session_id, key, position, kind, text, help, options, scale_labels, due_at,
                   remind_at, close_at, state, posted_at, message_ts, error
            FROM old_prompts;
        INSERT INTO replies (id, team_id, session_id, prompt_id, channel, ts, source, user_id, author, anonymous, role,
                             text, edited, edit_ts, created_at, updated_at)
            SELECT id, team_id, session_id, prompt_id, channel, ts, source, user_id, author, anonymous, role,
                   text, edited, edit_ts, created_at, updated_at
            FROM old_replies;
        INSERT INTO votes (team_id, reply_id, voter, source, active, event_ts)
            SELECT team_id, reply_id, voter, source, 1, '0' FROM old_votes;
        INSERT INTO posts (key, team_id, session_id, kind, channel, state, ts)
            SELECT 'wrapup:' || id, team_id, id, 'wrapup', channel, 'sent', NULL FROM old_sessions
            WHERE wrapped_up_at IS NOT NULL;
        INSERT INTO posts (key, team_id, session_id, kind, channel, state, ts)
            SELECT 'prompt:' || id, team_id, session_id, 'prompt', '', 'sent', message_ts FROM old_prompts
            WHERE message_ts IS NOT NULL;
        INSERT INTO posts (key, team_id, session_id, kind, channel, state, ts)
            SELECT 'answer:' || id, team_id, session_id, 'answer', channel, CASE WHEN ts IS NULL THEN 'queued' ELSE 'sent' END, ts
            FROM old_replies WHERE source = 'modal';
        """)
    for table in ("sessions", "session_facilitators", "prompts", "replies", "votes", "participants", "notices",
                  "people", "events"):
        db.execute(f"DROP TABLE old_{table}")


def _run(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction first, so run statement by statement.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
