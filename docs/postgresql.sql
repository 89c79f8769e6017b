-- Afterward durable tasks: the PostgreSQL schema, version 2, for a DBA to apply when the application runs with
-- durable.UsePostgres(connectionString, schema: "afterward", createSchema: false).
-- Replace "afterward" with the schema you configure (a lower-case identifier). The application only checks, at
-- startup, that afterward.schema_version holds version 2, and fails its start with a clear message otherwise.
-- On an empty database run the whole script; on a schema at version 1 run only the "Version 2" transaction.

-- Version 1
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('afterward.schema.afterward'));
CREATE SCHEMA IF NOT EXISTS "afterward";
CREATE TABLE IF NOT EXISTS "afterward".schema_version (version integer NOT NULL);

CREATE TABLE "afterward".tasks (
  id text COLLATE "C" PRIMARY KEY,     -- opaque ASCII ids: byte order, no locale comparisons in the index
  name text NOT NULL,
  payload text NOT NULL,
  state smallint NOT NULL,             -- 0 waiting (scheduled, queued or retrying), 1 running, 2 succeeded, 3 dead
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  timeout_ms bigint,
  dedupe_key text COLLATE "C",
  run_at bigint NOT NULL,              -- Unix milliseconds
  enqueued_at bigint NOT NULL,
  started_at bigint,
  completed_at bigint,
  last_error text,
  lease_owner text,
  lease_until bigint,
  lease_token bigint NOT NULL DEFAULT 0,
  held boolean NOT NULL DEFAULT false, -- enqueued by a request whose response has not completed yet
  delay_ms bigint NOT NULL DEFAULT 0,
  trace_parent text,
  last_instance text
);
CREATE INDEX tasks_due ON "afterward".tasks (run_at) WHERE state = 0; -- claims walk it in run_at order
CREATE INDEX tasks_leases ON "afterward".tasks (lease_until) WHERE state = 1;
CREATE INDEX tasks_finished ON "afterward".tasks (completed_at) WHERE state IN (2, 3);
CREATE UNIQUE INDEX tasks_key ON "afterward".tasks (dedupe_key) WHERE dedupe_key IS NOT NULL;
INSERT INTO "afterward".schema_version (version) VALUES (1);
COMMIT;

-- Version 2: the earlier runs' starts and claiming instances (the last 19; the latest run's are started_at and
-- last_instance), for a task's detail. Null until a task runs a second time.
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('afterward.schema.afterward'));
ALTER TABLE "afterward".tasks ADD COLUMN earlier_starts bigint[], ADD COLUMN earlier_instances text[];
INSERT INTO "afterward".schema_version (version) VALUES (2);
COMMIT;

-- The application's role needs: USAGE on the schema; SELECT, INSERT, UPDATE, DELETE on afterward.tasks; SELECT on
-- afterward.schema_version. LISTEN/NOTIFY needs no grant.
