//! The schema, as numbered steps. A step, once released, never changes: a change to the
//! schema is a new step at the end. `schema_migrations` records which ran.

/// One schema step.
#[derive(Debug)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Run before the steps, inside their transaction: the record of steps, and a lock that
/// makes a second worker starting at the same moment wait for the first.
pub const PRELUDE: &str = "
SELECT pg_advisory_xact_lock(7263541018);
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "sessions, handled interactions, posted cards",
        sql: "
CREATE TABLE sessions (
    key        text PRIMARY KEY,
    user_id    text NOT NULL,
    step       bigint NOT NULL,
    record     jsonb NOT NULL,
    updated_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE TABLE interactions (
    id         bigint PRIMARY KEY,
    claimed_at bigint NOT NULL
);
CREATE INDEX interactions_claimed_at ON interactions (claimed_at);
CREATE TABLE posted_cards (
    message_id bigint PRIMARY KEY,
    card       jsonb NOT NULL
);",
    },
    Migration {
        version: 2,
        name: "usage figures, one row per counted thing",
        // One row per figure, so that a flush adds to it (`n = figures.n + EXCLUDED.n`)
        // and workers flushing at once never lose a count. `key` is the figures' key as
        // sled stores it (`<day>|<rules version>|<locale>|<place>`); `field` a field of
        // `Counts`; `item` the question or outcome id ('' for started and finished).
        sql: "
CREATE TABLE figures (
    key   text NOT NULL,
    field text NOT NULL,
    item  text NOT NULL,
    n     bigint NOT NULL,
    PRIMARY KEY (key, field, item)
);",
    },
    Migration {
        version: 3,
        name: "deleted conversations, kept as markers without answers",
        // A row with `forgotten` is not a session: the user deleted their saved answers
        // at `step`, and its `record` holds nothing (`{}`). It expires like a session,
        // by `expires_at`, and only keeps `advance` from taking a step of a button shown
        // before the deletion.
        sql: "
ALTER TABLE sessions ADD COLUMN forgotten boolean NOT NULL DEFAULT false;",
    },
];
