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


def _run(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction first, so run statement by statement.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
