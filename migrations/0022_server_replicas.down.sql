-- Back to migration 21: no replica heartbeats; a crashed replica's leases expire by their TTL only.
CREATE OR REPLACE FUNCTION chat_take_lease(p_id uuid, p_owner uuid, p_ttl double precision, p_orphans uuid[])
    RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE chat_sessions s
    SET lease_owner = p_owner, lease_expires_at = now() + make_interval(secs => p_ttl)
    WHERE s.id = p_id
      AND (s.lease_owner IS NULL OR s.lease_expires_at < now() OR s.lease_owner = p_owner
           OR s.lease_owner = ANY(p_orphans));
    RETURN FOUND;
END
$$;

DROP FUNCTION IF EXISTS chat_take_lease(uuid, uuid, double precision, uuid[], uuid, double precision);
ALTER TABLE chat_sessions DROP COLUMN IF EXISTS lease_replica;
DROP TABLE IF EXISTS server_replicas;
