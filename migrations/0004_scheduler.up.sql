-- Notification scheduler: preferences, push devices, the outbox (one row per notification to one
-- target, its idempotency key unique), replica heartbeats, per-kind planner state, RunJob runs and
-- the shared cache of AI news summaries. Instants are timestamptz (UTC); local-calendar arithmetic
-- happens in Python (zoneinfo), never here.

-- Users without a row get the defaults (UTC, everything on, email to users.email), opted in at
-- users.created_at.
CREATE TABLE notification_prefs (
    user_id                     UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    time_zone                   TEXT NOT NULL DEFAULT 'UTC',          -- IANA name, validated by the app
    daily_digest_enabled        BOOLEAN NOT NULL DEFAULT true,
    weekly_summary_enabled      BOOLEAN NOT NULL DEFAULT true,
    performance_alerts_enabled  BOOLEAN NOT NULL DEFAULT true,
    email_enabled               BOOLEAN NOT NULL DEFAULT true,
    push_enabled                BOOLEAN NOT NULL DEFAULT true,
    email_address               TEXT NOT NULL DEFAULT '',             -- empty: no email
    quiet_hours_start           TIME,                                 -- local wall time in time_zone
    quiet_hours_end             TIME,                                 -- exclusive; start > end spans midnight
    alert_threshold_percent     DOUBLE PRECISION NOT NULL DEFAULT 2.0,
    alert_threshold_sigma       DOUBLE PRECISION NOT NULL DEFAULT 2.0,
    opted_in_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),   -- no slot before it is ever planned
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notification_prefs_quiet_pair CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)),
    CONSTRAINT notification_prefs_quiet_nonempty CHECK (quiet_hours_start IS NULL OR quiet_hours_start <> quiet_hours_end),
    CONSTRAINT notification_prefs_threshold_percent CHECK (alert_threshold_percent > 0 AND alert_threshold_percent <= 100),
    CONSTRAINT notification_prefs_threshold_sigma CHECK (alert_threshold_sigma > 0 AND alert_threshold_sigma <= 100)
);
CREATE INDEX idx_notification_prefs_time_zone ON notification_prefs(time_zone);

-- Tokens are up to 4,096 characters: uniqueness is enforced on their MD5 (a btree entry of the raw
-- token could exceed the index row limit; md5 is the immutable digest a generated column may use,
-- and a second preimage of a victim's token is out of reach).
CREATE TABLE push_devices (
    id              BIGSERIAL PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    platform        TEXT NOT NULL CHECK (platform IN ('fcm', 'apns')),
    token           TEXT NOT NULL CHECK (length(token) BETWEEN 1 AND 4096),
    token_md5       TEXT GENERATED ALWAYS AS (md5(token)) STORED,
    display_name    TEXT NOT NULL DEFAULT '',
    active          BOOLEAN NOT NULL DEFAULT true,
    invalidated_at  TIMESTAMPTZ,                                      -- set when the push service rejected the token
    invalid_reason  TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT push_devices_token_unique UNIQUE (token_md5)
);
CREATE INDEX idx_push_devices_user_active ON push_devices(user_id) WHERE active;

-- Manual runs (SchedulerService.RunJob): counts for progress, request_id for AIP-155 replays.
CREATE TABLE scheduler_job_runs (
    id            UUID PRIMARY KEY,
    request_id    TEXT UNIQUE,
    request_hash  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('digest', 'weekly', 'alert')),
    user_id       UUID REFERENCES users(id) ON DELETE SET NULL,
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
    planned       INTEGER NOT NULL DEFAULT 0,
    sent          INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
CREATE INDEX idx_scheduler_job_runs_created_at ON scheduler_job_runs(created_at);

-- The outbox: the design of research/scheduler.md section 5. The unique idempotency key
-- ({kind}:{user}:{local period}:{channel}:{target}) is what makes any number of replicas safe.
-- Additions: reason (short code shown to users), title/target_address (what was sent where),
-- run_id (RunJob), updated_at.
CREATE TABLE notification_outbox (
    id               BIGSERIAL PRIMARY KEY,
    idempotency_key  TEXT COLLATE "C" NOT NULL UNIQUE,              -- byte order: cheap comparisons
    kind             TEXT NOT NULL CHECK (kind IN ('digest', 'weekly', 'alert')),
    user_id          UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'push')),
    target_id        BIGINT NOT NULL DEFAULT 0,                       -- 0 for email, push_devices.id for push
    slot_local       TEXT NOT NULL,                                   -- the local period of the key
    scheduled_for    TIMESTAMPTZ NOT NULL,
    deadline         TIMESTAMPTZ NOT NULL,                            -- after it the content is stale: expired
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'retry', 'dead', 'missed', 'skipped', 'expired')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 6,
    next_attempt_at  TIMESTAMPTZ,
    locked_by        TEXT,                                            -- fencing: updates check it
    locked_until     TIMESTAMPTZ,
    last_error       TEXT,
    provider_id      TEXT,
    payload          JSONB,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    reason           TEXT,
    title            TEXT,
    target_address   TEXT,
    run_id           UUID REFERENCES scheduler_job_runs(id) ON DELETE SET NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notification_outbox_claim CHECK (status <> 'sending' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);
CREATE INDEX idx_notification_outbox_due ON notification_outbox(next_attempt_at) WHERE status IN ('pending', 'retry');
CREATE INDEX idx_notification_outbox_sending ON notification_outbox(locked_until) WHERE status = 'sending';
CREATE INDEX idx_notification_outbox_user ON notification_outbox(user_id, scheduled_for DESC, id DESC);
CREATE INDEX idx_notification_outbox_kind_status ON notification_outbox(kind, status, scheduled_for);
CREATE INDEX idx_notification_outbox_run ON notification_outbox(run_id) WHERE run_id IS NOT NULL;

CREATE TABLE scheduler_heartbeats (
    replica_id    TEXT PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    last_tick     TIMESTAMPTZ NOT NULL,
    version       TEXT NOT NULL DEFAULT '',
    host          TEXT NOT NULL DEFAULT '',
    pid           INTEGER NOT NULL DEFAULT 0,
    last_planned  INTEGER NOT NULL DEFAULT 0,
    stopped_at    TIMESTAMPTZ
);

-- One row per kind. deploy_epoch is the first planner start: no slot before it is planned, so a
-- first deploy creates no flood of 'missed' rows. planned_until is the high-water mark of planned
-- slots (an optimisation; the unique key is what guarantees safety).
CREATE TABLE scheduler_state (
    kind              TEXT PRIMARY KEY CHECK (kind IN ('digest', 'weekly', 'alert')),
    deploy_epoch      TIMESTAMPTZ NOT NULL,
    planned_until     TIMESTAMPTZ,
    last_run_at       TIMESTAMPTZ,
    last_planned      INTEGER NOT NULL DEFAULT 0,
    last_missed       INTEGER NOT NULL DEFAULT 0,
    last_duration_ms  INTEGER NOT NULL DEFAULT 0
);

-- One AI summary per news article, shared by every user holding the symbols it mentions and by
-- every replica. Only real AI text is stored; fallback text is never cached here.
CREATE TABLE news_summaries (
    article_id   TEXT PRIMARY KEY,
    summary      TEXT NOT NULL,
    model        TEXT NOT NULL DEFAULT '',
    provider     TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_news_summaries_created_at ON news_summaries(created_at);
