"""Versioned schema migrations, applied in order.

An existing database is upgraded in place: each migration runs once, inside
its own transaction, and a database newer than this code is refused rather
than touched. The migrations are written for SQLite and recorded in its
``PRAGMA user_version``; PostgreSQL gets the same scripts with its own
types and records the version in a ``schema_version`` table.
"""

import re
import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, sessions and login throttling.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'student'
            CHECK (role IN ('student', 'instructor', 'admin')),
        password_hash TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        last_seen REAL NOT NULL,
        expires_at REAL NOT NULL,
        remember INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions(user_id);
    CREATE TABLE login_throttle (
        username_key TEXT PRIMARY KEY,
        recent_failures TEXT NOT NULL,
        locked_until REAL
    );
    """,
    # 2: lectures, questions and answers.
    """
    CREATE TABLE lectures (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER NOT NULL REFERENCES users(id),
        title TEXT NOT NULL,
        join_code TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('open', 'ended')),
        created_at REAL NOT NULL,
        ended_at REAL
    );
    CREATE INDEX lectures_by_owner ON lectures(owner_id);
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        lecture_id INTEGER NOT NULL REFERENCES lectures(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        choices TEXT NOT NULL,
        correct TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        opened_at REAL NOT NULL,
        closed_at REAL
    );
    CREATE INDEX questions_by_lecture ON questions(lecture_id);
    CREATE UNIQUE INDEX one_open_question_per_lecture
        ON questions(lecture_id) WHERE status = 'open';
    CREATE TABLE answers (
        question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        choice TEXT NOT NULL,
        answered_at REAL NOT NULL,
        PRIMARY KEY (question_id, user_id)
    ) WITHOUT ROWID;
    """,
    # 3: the projector reveals a closed question's answer when the instructor says so.
    """
    ALTER TABLE questions ADD COLUMN revealed_at REAL;
    """,
    # 4: courses and their rosters; a lecture may belong to a course.
    """
    CREATE TABLE courses (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX courses_by_owner ON courses(owner_id);
    CREATE TABLE roster (
        course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
        username_key TEXT NOT NULL,
        username TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        student_id TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (course_id, username_key)
    ) WITHOUT ROWID;
    ALTER TABLE lectures ADD COLUMN course_id INTEGER REFERENCES courses(id);
    CREATE INDEX lectures_by_course ON lectures(course_id);
    """,
    # 5: attendance, and each course's bank of prepared questions.
    """
    CREATE TABLE attendance (
        lecture_id INTEGER NOT NULL REFERENCES lectures(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        joined_at REAL NOT NULL,
        PRIMARY KEY (lecture_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX attendance_by_user ON attendance(user_id);
    CREATE TABLE bank_questions (
        id INTEGER PRIMARY KEY,
        course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        choices TEXT NOT NULL,
        correct TEXT
    );
    CREATE INDEX bank_by_course ON bank_questions(course_id);
    CREATE INDEX answers_by_user ON answers(user_id);
    """,
    # 6: site admins disable accounts (and the server closes their sockets).
    """
    ALTER TABLE users ADD COLUMN disabled_at REAL;
    CREATE INDEX users_disabled ON users(disabled_at) WHERE disabled_at IS NOT NULL;
    """,
    # 7: profile photos (a file name in the photos directory beside the database).
    """
    ALTER TABLE users ADD COLUMN photo TEXT;
    """,
    # 8: chat: rooms with members and bans, one conversation per pair, contacts, messages.
    """
    CREATE TABLE rooms (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        key_hash TEXT,
        admin_id INTEGER NOT NULL REFERENCES users(id),
        created_at REAL NOT NULL
    );
    CREATE TABLE room_members (
        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        joined_at REAL NOT NULL,
        PRIMARY KEY (room_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX room_members_by_user ON room_members(user_id);
    CREATE TABLE room_bans (
        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        banned_at REAL NOT NULL,
        PRIMARY KEY (room_id, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        low_user_id INTEGER NOT NULL REFERENCES users(id),
        high_user_id INTEGER NOT NULL REFERENCES users(id),
        low_read_id INTEGER NOT NULL DEFAULT 0,
        high_read_id INTEGER NOT NULL DEFAULT 0,
        UNIQUE (low_user_id, high_user_id),
        CHECK (low_user_id < high_user_id)
    );
    CREATE INDEX conversations_by_high ON conversations(high_user_id);
    CREATE TABLE contacts (
        owner_id INTEGER NOT NULL REFERENCES users(id),
        contact_id INTEGER NOT NULL REFERENCES users(id),
        added_at REAL NOT NULL,
        PRIMARY KEY (owner_id, contact_id)
    ) WITHOUT ROWID;
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_id INTEGER REFERENCES rooms(id) ON DELETE CASCADE,
        conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
        author_id INTEGER NOT NULL REFERENCES users(id),
        text TEXT NOT NULL,
        client_id TEXT,
        sent_at REAL NOT NULL,
        CHECK ((room_id IS NULL) <> (conversation_id IS NULL))
    );
    CREATE INDEX messages_by_room ON messages(room_id, id) WHERE room_id IS NOT NULL;
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id)
        WHERE conversation_id IS NOT NULL;
    CREATE UNIQUE INDEX room_client_ids ON messages(room_id, author_id, client_id)
        WHERE room_id IS NOT NULL AND client_id IS NOT NULL;
    CREATE UNIQUE INDEX conversation_client_ids ON messages(conversation_id, author_id, client_id)
        WHERE conversation_id IS NOT NULL AND client_id IS NOT NULL;
    """,
    # 9: question kinds, timers and anonymous polls. ``correct`` holds JSON for the kinds
    # other than single; answers carry whether they are right (kept up when a text
    # question's accepted answers change); an anonymous question's answers are moved
    # to anonymous_answers, without their students, when it closes.
    """
    ALTER TABLE questions ADD COLUMN kind TEXT NOT NULL DEFAULT 'single'
        CHECK (kind IN ('single', 'multiple', 'numeric', 'text'));
    ALTER TABLE questions ADD COLUMN tolerance TEXT;
    ALTER TABLE questions ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE questions ADD COLUMN deadline REAL;
    ALTER TABLE questions ADD COLUMN hidden TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX questions_timed ON questions(deadline)
        WHERE status = 'open' AND deadline IS NOT NULL;
    ALTER TABLE lectures ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE answers ADD COLUMN correct INTEGER;
    UPDATE answers SET correct = (
        SELECT CASE WHEN q.correct IS NULL THEN NULL
                    WHEN q.correct = answers.choice THEN 1 ELSE 0 END
        FROM questions q WHERE q.id = answers.question_id);
    CREATE TABLE anonymous_answers (
        question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
        choice TEXT NOT NULL,
        correct INTEGER
    );
    CREATE INDEX anonymous_answers_by_question ON anonymous_answers(question_id);
    """,
    # 10: peer instruction (rounds of one question, earlier rounds' answers kept apart),
    # confidence ratings, and students' questions with upvotes (Q&A).
    """
    ALTER TABLE questions ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE questions ADD COLUMN asks_confidence INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE questions ADD COLUMN results_hidden INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE answers ADD COLUMN confidence TEXT
        CHECK (confidence IN ('low', 'medium', 'high'));
    CREATE TABLE earlier_rounds (
        question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        choice TEXT NOT NULL,
        correct INTEGER,
        confidence TEXT,
        answered_at REAL NOT NULL,
        PRIMARY KEY (question_id, round, user_id)
    ) WITHOUT ROWID;
    ALTER TABLE lectures ADD COLUMN posts_anonymous INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE lectures ADD COLUMN posts_on_projector INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        lecture_id INTEGER NOT NULL REFERENCES lectures(id) ON DELETE CASCADE,
        author_id INTEGER NOT NULL REFERENCES users(id),
        text TEXT NOT NULL,
        client_id TEXT,
        votes INTEGER NOT NULL DEFAULT 0,
        answered INTEGER NOT NULL DEFAULT 0,
        hidden INTEGER NOT NULL DEFAULT 0,
        posted_at REAL NOT NULL
    );
    CREATE INDEX posts_by_lecture ON posts(lecture_id);
    CREATE UNIQUE INDEX post_client_ids ON posts(lecture_id, author_id, client_id)
        WHERE client_id IS NOT NULL;
    CREATE TABLE post_votes (
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        PRIMARY KEY (post_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX post_votes_by_user ON post_votes(user_id);
    CREATE TABLE posting_bans (
        lecture_id INTEGER NOT NULL REFERENCES lectures(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        banned_at REAL NOT NULL,
        PRIMARY KEY (lecture_id, user_id)
    ) WITHOUT ROWID;
    """,
)


class SchemaTooNew(Exception):
    """The database was written by a newer iclicker; upgrading code is the only fix."""


def current_version(connection: sqlite3.Connection) -> int:
    return connection.execute("PRAGMA user_version").fetchone()[0]


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the number of migrations applied.

    Runs each pending migration as one transaction together with the version
    bump, so a crash mid-upgrade leaves the previous version intact.
    """
    version = current_version(connection)
    if version > len(MIGRATIONS):
        raise SchemaTooNew(
            f"database schema version {version} is newer than this iclicker ({len(MIGRATIONS)})"
        )
    pending = MIGRATIONS[version:]
    for number, script in enumerate(pending, start=version + 1):
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
    return len(pending)


_POSTGRES_TYPES = (
    (
        r"INTEGER PRIMARY KEY( AUTOINCREMENT)?",
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (r"\) WITHOUT ROWID", ")"),
    (r"\bREAL\b", "DOUBLE PRECISION"),
    (r"\bINTEGER\b", "BIGINT"),
)


def postgres_script(script: str) -> str:
    """A migration in PostgreSQL's types: 64-bit ids and integers, double timestamps."""
    for pattern, replacement in _POSTGRES_TYPES:
        script = re.sub(pattern, replacement, script)
    return script


MIGRATION_LOCK = 0x1C11C4E5
"""The advisory lock that keeps two processes starting at once from migrating together."""


def migrate_postgres(connection) -> int:
    """``migrate`` for a psycopg connection: every pending migration in one transaction."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            connection.execute("INSERT INTO schema_version (version) VALUES (0)")
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise SchemaTooNew(
                f"database schema version {version} is newer than this iclicker ({len(MIGRATIONS)})"
            )
        pending = MIGRATIONS[version:]
        for script in pending:
            connection.execute(postgres_script(script))
        connection.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS),))
    return len(pending)
