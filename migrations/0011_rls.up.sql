-- Row-level security on every table that holds a user's data (issue 12, item 4).
--
-- Who sees what (docs/security.md, "Row-level security"):
--   stack_cfo_app     the role the service runs as (the pool does SET ROLE from its login user,
--                     which must be a member of both roles). No BYPASSRLS.
--                     Sees the rows of the acting user (per transaction: stack_cfo.user_id) and of the
--                     acting service principal (stack_cfo.service); with neither set it sees nothing.
--   stack_cfo_system  the role of an explicit system scope (planner, reaper, outbox worker, erasure,
--                     news, archive): `with system_scope("...")` in the code switches to it for one
--                     transaction (set_config('role', ..., true)). Sees every row. No BYPASSRLS.
--   table owner       FORCE ROW LEVEL SECURITY: the owner (the migrating user on a managed server)
--                     sees rows only with stack_cfo.scope = 'system' (the migrator sets it).
-- Superusers bypass RLS whatever the policies say: the service switches to stack_cfo_app.
--
-- Roles are cluster-wide: created when missing (a managed server: provisioned beforehand, README),
-- never dropped by the down migration (other databases of the cluster may use them).

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['stack_cfo_app', 'stack_cfo_system'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN NOBYPASSRLS', r);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN NULL;  -- created by a concurrent migration
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'role % does not exist and % may not create it', r, current_user
                        USING HINT = 'provision stack_cfo_app and stack_cfo_system first (README: "Row-level security on a managed PostgreSQL")';
            END;
        END IF;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r AND (rolbypassrls OR rolsuper)) THEN
            RAISE EXCEPTION 'role % bypasses row-level security (SUPERUSER or BYPASSRLS); it must not', r;
        END IF;
    END LOOP;
    -- The session user switches to either role (SET ROLE), so it must be a member of both
    -- (superusers need not be). stack_cfo_app itself must not be a member of stack_cfo_system:
    -- policies apply to members, so it would see every row.
    BEGIN
        IF pg_has_role('stack_cfo_app', 'stack_cfo_system', 'MEMBER') THEN
            RAISE EXCEPTION 'stack_cfo_app is a member of stack_cfo_system: it would see every row'
                USING HINT = 'REVOKE stack_cfo_system FROM stack_cfo_app; log in as another role that is a member of both';
        END IF;
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
            IF NOT pg_has_role(session_user, 'stack_cfo_app', 'MEMBER') THEN
                EXECUTE format('GRANT stack_cfo_app TO %I', session_user);
            END IF;
            IF NOT pg_has_role(session_user, 'stack_cfo_system', 'MEMBER') THEN
                EXECUTE format('GRANT stack_cfo_system TO %I', session_user);
            END IF;
        END IF;
    EXCEPTION
        WHEN insufficient_privilege THEN
            RAISE WARNING 'could not grant the stack_cfo roles (%); an administrator must (README)', SQLERRM;
        WHEN unique_violation OR duplicate_object OR object_not_in_prerequisite_state THEN NULL;
    END;
END
$roles$;

-- The acting user / service of this transaction; NULL when unset (no rows match: fail closed).
CREATE FUNCTION stack_cfo_acting_user() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('stack_cfo.user_id', true), '')::uuid $$;
CREATE FUNCTION stack_cfo_acting_service() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('stack_cfo.service', true), '') $$;
CREATE FUNCTION stack_cfo_system_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('stack_cfo.scope', true), '') = 'system' $$;

GRANT USAGE ON SCHEMA public TO stack_cfo_app, stack_cfo_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO stack_cfo_app, stack_cfo_system;
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM stack_cfo_app, stack_cfo_system;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO stack_cfo_app, stack_cfo_system;
-- Tables and sequences later migrations create (as this user) get the same grants; their
-- policies do not come by default: tests/integration/security/test_rls.py fails until they exist.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO stack_cfo_app, stack_cfo_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO stack_cfo_app, stack_cfo_system;

-- Policies. For each protected table: rls_user (stack_cfo_app: the acting principal's rows),
-- rls_system (stack_cfo_system: every row), rls_maintenance (the owner, under FORCE: every row in
-- the system scope). Policies per role (not one OR'ed predicate) keep the user predicate a plain
-- `user_id = <value>` the planner answers from the user_id indexes.
DO $policies$
DECLARE
    t record;
    owner_predicate text;
    check_predicate text;
    predicates jsonb := jsonb_build_object(
        -- Tables that name their user in another way than a user_id column.
        'users', 'id = stack_cfo_acting_user()',
        'archive_objects', 'owner = stack_cfo_acting_user()',
        -- Reached through their session.
        'chat_messages', 'EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = session_id AND s.user_id = stack_cfo_acting_user())',
        'chat_summaries', 'EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = session_id AND s.user_id = stack_cfo_acting_user())',
        -- Request ids: keyed by principal text ("user:<id>", the bare id for chat, "service:<name>").
        'idempotency_keys', 'principal IN (''user:'' || stack_cfo_acting_user()::text, stack_cfo_acting_user()::text, ''service:'' || stack_cfo_acting_service())',
        -- A user's endpoints, or a service principal's own.
        'webhook_endpoints', 'user_id = stack_cfo_acting_user() OR service = stack_cfo_acting_service()',
        -- Receipts of shared texts (news summaries: user_id NULL) are readable by everyone.
        'ai_receipts', 'user_id = stack_cfo_acting_user() OR user_id IS NULL'
    );
    -- What a user's transaction may write, where it differs from what it may read: shared
    -- receipts are written by the scheduler only (the system scope).
    checks jsonb := jsonb_build_object('ai_receipts', 'user_id = stack_cfo_acting_user()');
BEGIN
    -- Every table with a user_id column (discovered, so tables of migrations numbered before this
    -- one are covered too) plus the ones named above.
    FOR t IN
        SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND (c.relname IN (SELECT jsonb_object_keys(predicates))
               OR EXISTS (SELECT FROM pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped))
        ORDER BY 1
    LOOP
        owner_predicate := coalesce(predicates ->> t.name, 'user_id = stack_cfo_acting_user()');
        check_predicate := coalesce(checks ->> t.name, owner_predicate);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.name);
        EXECUTE format('CREATE POLICY rls_user ON %I TO stack_cfo_app USING (%s) WITH CHECK (%s)',
                       t.name, owner_predicate, check_predicate);
        EXECUTE format('CREATE POLICY rls_system ON %I TO stack_cfo_system USING (true) WITH CHECK (true)', t.name);
        EXECUTE format('CREATE POLICY rls_maintenance ON %I TO %I USING (stack_cfo_system_scope()) WITH CHECK (stack_cfo_system_scope())',
                       t.name, t.owner);
    END LOOP;
END
$policies$;
