-- A crashed replica's chat turn leases are free within seconds (issue: `kill -9` of a replica while
-- it streamed an answer left the session's lease held for its 30 s TTL; a client retrying the same
-- request_id on another replica waited ~27 s, the provider call started then was cut by the
-- client's deadline, and the cut-off answer was stored for that request_id: paid twice).
--
-- Each `stack-cfo serve` process has a replica id (a new one at every start) and upserts its row
-- here every 2 s on a connection of its own (stack_cfo/store/chat/replica.py), deleting it when it
-- stops. A turn lease records the replica that took it (chat_sessions.lease_replica). A lease
-- whose replica's row has not been seen for the stale threshold (6 s) is free, but only to a taker
-- whose own heartbeat has succeeded without a break for at least that long: after a database
-- outage every replica's row is stale, and a live replica still retrying to store its answer
-- (chat.store_retry_for) must not lose its lease to a retry elsewhere the moment the database is
-- back (its own heartbeat is back within one interval, before any taker's is old enough). A lease
-- with no replica recorded (taken before this migration, or by a process without a heartbeat) or
-- whose replica has no row (stopped, or forgotten after an hour) expires by its TTL, as before.

-- Replicas of `serve` (the scheduler takes no chat leases and has scheduler_heartbeats). No user's
-- data: no row-level security. Rows not seen for an hour are deleted by the live replicas' beats.
CREATE TABLE server_replicas (
    id          UUID PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at     TIMESTAMPTZ NOT NULL,
    host        TEXT NOT NULL DEFAULT '',
    pid         INTEGER
);
GRANT SELECT, INSERT, UPDATE, DELETE ON server_replicas TO stack_cfo_app, stack_cfo_system;

-- The replica whose process holds the lease (NULL: none recorded; the TTL rule only).
ALTER TABLE chat_sessions ADD COLUMN lease_replica UUID;

-- Migration 17's rule (free, expired, already `p_owner`'s, or one of `p_orphans`) and a lease whose
-- replica's heartbeat is older than `p_stale_after` seconds (NULL: not taken so; the caller's own
-- heartbeat has not run long enough). The lease taken records `p_replica` (NULL: none; a lease
-- already `p_owner`'s keeps the one it has).
CREATE FUNCTION chat_take_lease(p_id uuid, p_owner uuid, p_ttl double precision, p_orphans uuid[],
                                p_replica uuid, p_stale_after double precision)
    RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE chat_sessions s
    SET lease_owner = p_owner, lease_expires_at = now() + make_interval(secs => p_ttl),
        lease_replica = COALESCE(p_replica, CASE WHEN s.lease_owner = p_owner THEN s.lease_replica END)
    WHERE s.id = p_id
      AND (s.lease_owner IS NULL OR s.lease_expires_at < now() OR s.lease_owner = p_owner
           OR s.lease_owner = ANY(p_orphans)
           OR (p_stale_after IS NOT NULL AND s.lease_replica IS NOT NULL
               AND EXISTS (SELECT 1 FROM server_replicas r
                           WHERE r.id = s.lease_replica
                             AND r.seen_at < now() - make_interval(secs => p_stale_after))));
    RETURN FOUND;
END
$$;

-- Migration 17's function (called by migration 19's chat_begin_turn, and by replicas not yet
-- upgraded): the same rule without a replica. The service takes the lease with the function above
-- in the begin_turn transaction first; the call inside chat_begin_turn then finds it its own.
CREATE OR REPLACE FUNCTION chat_take_lease(p_id uuid, p_owner uuid, p_ttl double precision, p_orphans uuid[])
    RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN chat_take_lease(p_id, p_owner, p_ttl, p_orphans, NULL::uuid, NULL::double precision);
END
$$;
