"""The schema of both engines, as versioned migrations: version N is ``MIGRATIONS[:N]``.

A release that changes the schema appends one entry to each tuple; ``open`` applies the
entries a database lacks, in one transaction, so an older database upgrades in place.
Versions mean the same tables on both engines; PostgreSQL support began at version 2,
so its version 1 is empty. SQLite records the version in ``PRAGMA user_version``,
PostgreSQL in a ``schema_version`` table.
"""

from __future__ import annotations

SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE accounts (
            account_id TEXT PRIMARY KEY, project_id TEXT NOT NULL UNIQUE,
            tier TEXT NOT NULL, balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),
            region TEXT NOT NULL, funding_token TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)""",
        """CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            key_hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL, scopes TEXT NOT NULL,
            masked_key TEXT NOT NULL, created_at TEXT NOT NULL)""",
        "CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at)",
        """CREATE TABLE trials (
            fingerprint_hash TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts, granted_at TEXT NOT NULL)""",
        """CREATE TABLE ledger (
            entry_id INTEGER PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            amount_cents INTEGER NOT NULL, reason TEXT NOT NULL, reference TEXT NOT NULL,
            created_at TEXT NOT NULL, UNIQUE (reason, reference))""",
        """CREATE TABLE topups (
            topup_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            state TEXT NOT NULL, return_url TEXT, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX topups_by_account ON topups (account_id, created_at)",
        """CREATE TABLE idempotency (
            scope TEXT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
            token TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
            status_code INTEGER, sealed_response TEXT, PRIMARY KEY (scope, key_hash))""",
    ),
    (
        # Replays are stored plainly now; rows sealed by version 1 cannot be read, and a
        # lost replay only means a retry after the upgrade runs as a new request.
        "DROP TABLE idempotency",
        """CREATE TABLE idempotency (
            scope TEXT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
            token TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL,
            created_at REAL NOT NULL, status_code INTEGER, response TEXT,
            PRIMARY KEY (scope, key_hash))""",
        "CREATE INDEX idempotency_in_flight ON idempotency (owner) WHERE state = 'in_flight'",
        """CREATE TABLE instances (
            instance_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
            heartbeat_at REAL NOT NULL)""",
        "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    ),
    (
        # Scenario switches a teacher sets (admin); in the database, so every worker sees them.
        "CREATE TABLE scenarios (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    ),
)

POSTGRES_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (),
    (
        """CREATE TABLE accounts (
            account_id TEXT PRIMARY KEY, project_id TEXT NOT NULL UNIQUE,
            tier TEXT NOT NULL, balance_cents BIGINT NOT NULL CHECK (balance_cents >= 0),
            region TEXT NOT NULL, funding_token TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)""",
        """CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            key_hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL, scopes TEXT NOT NULL,
            masked_key TEXT NOT NULL, created_at TEXT NOT NULL)""",
        "CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at)",
        """CREATE TABLE trials (
            fingerprint_hash TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts, granted_at TEXT NOT NULL)""",
        """CREATE TABLE ledger (
            entry_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts,
            amount_cents BIGINT NOT NULL, reason TEXT NOT NULL, reference TEXT NOT NULL,
            created_at TEXT NOT NULL, UNIQUE (reason, reference))""",
        """CREATE TABLE topups (
            topup_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
            state TEXT NOT NULL, return_url TEXT, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY)""",
        "CREATE INDEX topups_by_account ON topups (account_id, created_at)",
        """CREATE TABLE idempotency (
            scope TEXT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
            token TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL, status_code INTEGER, response TEXT,
            PRIMARY KEY (scope, key_hash))""",
        "CREATE INDEX idempotency_in_flight ON idempotency (owner) WHERE state = 'in_flight'",
        """CREATE TABLE instances (
            instance_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
            heartbeat_at DOUBLE PRECISION NOT NULL)""",
        "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
    ),
    (
        # Scenario switches a teacher sets (admin); in the database, so every worker sees them.
        "CREATE TABLE scenarios (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    ),
)
