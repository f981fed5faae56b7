-- Undo 0011: policies, row-level security, grants and the scope functions of this database.
-- The roles stay: they are cluster-wide and other databases of the cluster may use them.
DO $undo$
DECLARE
    p record;
    t record;
BEGIN
    FOR p IN SELECT tablename, policyname FROM pg_policies
             WHERE schemaname = 'public' AND policyname IN ('rls_user', 'rls_system', 'rls_maintenance') LOOP
        EXECUTE format('DROP POLICY %I ON %I', p.policyname, p.tablename);
    END LOOP;
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relrowsecurity OR c.relforcerowsecurity) LOOP
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t.relname);
    END LOOP;
END
$undo$;

ALTER DEFAULT PRIVILEGES IN SCHEMA public
    REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM stack_cfo_app, stack_cfo_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM stack_cfo_app, stack_cfo_system;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM stack_cfo_app, stack_cfo_system;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM stack_cfo_app, stack_cfo_system;
REVOKE USAGE ON SCHEMA public FROM stack_cfo_app, stack_cfo_system;

DROP FUNCTION IF EXISTS stack_cfo_acting_user();
DROP FUNCTION IF EXISTS stack_cfo_acting_service();
DROP FUNCTION IF EXISTS stack_cfo_system_scope();
