// The PostgreSQL schema (issue #16): versioned migrations run once, in order, each in its own
// transaction, by whichever replica takes the advisory lock first; the others wait on the lock and
// find them applied. A database migrated by a newer Tamer is refused rather than half understood.
// The tables are SQLite's (../sqlite/migrations.ts) at its version 18, in PostgreSQL's types.
// https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
import type { PoolClient } from 'pg'
import { SchemaTooNewError } from '../../errors.js'

/**
 * Text compares and sorts byte by byte as in SQLite (ISO times, branch and job names), whatever
 * locale the database was created with: every TEXT column is declared COLLATE "C".
 */
const bytewise = (sql: string) => sql.replaceAll(/\bTEXT\b/g, 'TEXT COLLATE "C"')

export const PG_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'schema',
    sql: bytewise(`
      CREATE TABLE deliveries (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        host_delivery_id TEXT,
        event_type TEXT NOT NULL,
        tenant TEXT NOT NULL,
        repository TEXT,
        status TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BYTEA NOT NULL,
        normalized BYTEA NOT NULL,
        received_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        -- The host's identity of a delivery: two replicas storing one redelivery store it once.
        UNIQUE (provider, dedupe_key)
      );
      CREATE INDEX deliveries_tenant_seq ON deliveries (tenant, seq);
      CREATE INDEX deliveries_status_seq ON deliveries (status, seq);
      CREATE INDEX deliveries_provider_seq ON deliveries (provider, seq);
      CREATE INDEX deliveries_provider_status_seq ON deliveries (provider, status, seq);
      CREATE INDEX deliveries_tenant_provider_seq ON deliveries (tenant, provider, seq);
      CREATE INDEX deliveries_tenant_status_seq ON deliveries (tenant, status, seq);
      CREATE INDEX deliveries_repository_seq ON deliveries (repository, seq, tenant, provider);
      CREATE INDEX deliveries_repository_status_seq ON deliveries (repository, status, seq, tenant, provider);
      CREATE INDEX deliveries_host_delivery_id ON deliveries (host_delivery_id, seq);
      CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);

      CREATE TABLE dispatches (
        delivery_id TEXT PRIMARY KEY REFERENCES deliveries (id),
        outcome TEXT NOT NULL,
        evaluation TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        skipped TEXT
      );
      CREATE TABLE builds (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        event_index INTEGER NOT NULL,
        rule TEXT NOT NULL,
        job TEXT NOT NULL,
        template TEXT,
        tenant TEXT NOT NULL,
        repository TEXT,
        parameters TEXT NOT NULL,
        delivery_param TEXT NOT NULL,
        state TEXT NOT NULL,
        queue_id BIGINT,
        build_number BIGINT,
        build_url TEXT,
        result TEXT,
        duration_ms BIGINT,
        failing_stage TEXT,
        log_tail TEXT,
        tests TEXT,
        callback TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        last_error TEXT,
        accepted_at BIGINT NOT NULL,
        triggered_at BIGINT,
        missed_at BIGINT,
        event_key TEXT,
        provider TEXT,
        ref TEXT,
        branch TEXT,
        commit_sha TEXT,
        pull_request BIGINT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (delivery_id, event_index, job)
      );
      CREATE UNIQUE INDEX builds_job_event_key ON builds (job, event_key) WHERE event_key IS NOT NULL;
      CREATE INDEX builds_state ON builds (state, next_attempt_at);
      CREATE INDEX builds_delivery ON builds (delivery_id);
      CREATE INDEX builds_job_param ON builds (job, delivery_param);
      CREATE INDEX builds_tenant_seq ON builds (tenant, seq);
      CREATE INDEX builds_state_seq ON builds (state, seq);
      CREATE INDEX builds_job_seq ON builds (job, seq);
      CREATE INDEX builds_job_state_seq ON builds (job, state, seq);
      CREATE INDEX builds_tenant_state_seq ON builds (tenant, state, seq);
      CREATE INDEX builds_tenant_job_seq ON builds (tenant, job, seq);
      CREATE INDEX builds_tenant_job_state_seq ON builds (tenant, job, state, seq);
      CREATE INDEX builds_repository_branch_rule_seq ON builds (repository, branch, rule, seq);
      CREATE TABLE build_runs (
        seq BIGSERIAL PRIMARY KEY,
        build_id TEXT NOT NULL REFERENCES builds (id),
        job TEXT NOT NULL,
        queue_id BIGINT,
        build_number BIGINT,
        build_url TEXT,
        source TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX build_runs_build ON build_runs (build_id, seq);

      CREATE TABLE notice_decisions (
        -- SQLite orders a thread's decisions by rowid; seq is that order here.
        seq BIGSERIAL UNIQUE,
        build_id TEXT PRIMARY KEY REFERENCES builds (id),
        thread_key TEXT NOT NULL,
        outcome TEXT,
        notified INTEGER NOT NULL,
        reason TEXT NOT NULL,
        decided_at BIGINT NOT NULL
      );
      CREATE INDEX notice_decisions_thread ON notice_decisions (thread_key, decided_at);
      CREATE TABLE notifications (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        build_id TEXT,
        tenant TEXT NOT NULL,
        repository TEXT,
        branch TEXT,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        recipients TEXT NOT NULL,
        subject TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        last_error TEXT,
        accepted_by TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX notifications_state ON notifications (state, next_attempt_at);
      CREATE INDEX notifications_tenant_seq ON notifications (tenant, seq);
      CREATE INDEX notifications_state_seq ON notifications (state, seq);
      CREATE INDEX notifications_tenant_state_seq ON notifications (tenant, state, seq);

      CREATE TABLE push_diffs (
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        variant TEXT NOT NULL,
        payload BYTEA NOT NULL,
        raw_bytes BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (delivery_id, variant)
      );
      CREATE INDEX push_diffs_created ON push_diffs (created_at);

      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        tenant TEXT,
        url TEXT,
        username TEXT,
        key_id TEXT NOT NULL,
        iv BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL,
        tag BYTEA NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        access TEXT NOT NULL,
        tenants TEXT,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE TABLE audit_log (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        tenant TEXT,
        detail TEXT NOT NULL
      );
      CREATE INDEX audit_log_tenant_seq ON audit_log (tenant, seq);

      CREATE TABLE metric_reports (
        seq BIGSERIAL PRIMARY KEY,
        build_id TEXT NOT NULL REFERENCES builds (id),
        tenant TEXT NOT NULL,
        repository TEXT NOT NULL,
        branch TEXT,
        commit_sha TEXT,
        job TEXT NOT NULL,
        build_number BIGINT,
        metrics TEXT NOT NULL,
        pass INTEGER NOT NULL,
        verdict TEXT NOT NULL,
        reported_at TEXT NOT NULL
      );
      CREATE INDEX metric_reports_repository_branch_seq ON metric_reports (repository, branch, seq, tenant);
      CREATE INDEX metric_reports_repository_seq ON metric_reports (repository, seq, tenant);
      CREATE INDEX metric_reports_build_seq ON metric_reports (build_id, seq);

      CREATE TABLE repositories (
        seq BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL,
        provider TEXT NOT NULL,
        repository TEXT NOT NULL,
        default_branch TEXT,
        synced_at TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (tenant, provider, repository)
      );
      CREATE INDEX repositories_tenant_seq ON repositories (tenant, seq);
      CREATE INDEX repositories_repository ON repositories (repository);
      CREATE TABLE branches (
        seq BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL,
        provider TEXT NOT NULL,
        repository TEXT NOT NULL,
        branch TEXT NOT NULL,
        state TEXT NOT NULL,
        commit_sha TEXT,
        author_name TEXT,
        author_email TEXT,
        committed_at TEXT,
        source TEXT NOT NULL,
        pushed_at TEXT NOT NULL,
        deleted_at TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (tenant, provider, repository, branch)
      );
      CREATE INDEX branches_repository_seq ON branches (repository, seq, tenant, provider, state);
      CREATE INDEX branches_repository_state_seq ON branches (repository, state, seq, tenant, provider);
      CREATE TABLE branch_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), delivery_seq BIGINT NOT NULL);
      CREATE TABLE schedule_slots (key TEXT PRIMARY KEY, slot TEXT NOT NULL, updated_at TEXT NOT NULL);

      CREATE TABLE host_posts (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        build_id TEXT,
        tenant TEXT NOT NULL,
        provider TEXT NOT NULL,
        repository TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        version BIGINT NOT NULL,
        payload TEXT NOT NULL,
        credential TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        last_error TEXT,
        answer TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (provider, repository, target, version)
      );
      CREATE INDEX host_posts_state ON host_posts (state, next_attempt_at);
      CREATE INDEX host_posts_build ON host_posts (build_id, seq);
    `),
  },
  {
    version: 2,
    name: 'signoffs',
    // SQLite's 19 and 20: a build's notices newest first (the console), and sign-off through Tamer
    // (issue #15): one row per build and Jenkins input, one per party and its decision.
    sql: bytewise(`
      CREATE INDEX notifications_build_seq ON notifications (build_id, seq);
      CREATE TABLE signoffs (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        build_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        repository TEXT,
        environment TEXT NOT NULL,
        input_id TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        decided_at TEXT,
        jenkins_action TEXT,
        jenkins_acted_at TEXT,
        jenkins_error TEXT,
        UNIQUE (build_id, input_id)
      );
      CREATE INDEX signoffs_unsettled ON signoffs (state, jenkins_action, seq);
      CREATE TABLE signoff_parties (
        signoff_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        party TEXT NOT NULL,
        decision TEXT,
        decided_at TEXT,
        PRIMARY KEY (signoff_id, party)
      );
    `),
  },
  {
    version: 3,
    name: 'work leases',
    // Work shared between replicas (src/store/leases.ts): who holds a row's work and until when
    // (epoch ms). Only held rows are indexed, for the heartbeat's renewal and the release at shutdown.
    sql: bytewise(
      ['deliveries', 'builds', 'notifications', 'host_posts']
        .map(
          (t) => `
      ALTER TABLE ${t} ADD COLUMN lease_owner TEXT, ADD COLUMN lease_until BIGINT;
      CREATE INDEX ${t}_lease_owner ON ${t} (lease_owner) WHERE lease_owner IS NOT NULL;`,
        )
        .join(''),
    ),
  },
  {
    version: 4,
    name: 'parity-reports',
    // SQLite's 21: the dev/prod parity gate's results (issue #15 item 3).
    sql: bytewise(`
      CREATE TABLE parity_reports (
        seq BIGSERIAL PRIMARY KEY,
        build_id TEXT NOT NULL REFERENCES builds (id),
        tenant TEXT NOT NULL,
        repository TEXT NOT NULL,
        branch TEXT,
        commit_sha TEXT,
        job TEXT NOT NULL,
        build_number BIGINT,
        pass INTEGER NOT NULL,
        result TEXT NOT NULL,
        reported_at TEXT NOT NULL
      );
      CREATE INDEX parity_reports_build_seq ON parity_reports (build_id, seq);
    `),
  },
  {
    version: 5,
    name: 'delivery-attempts',
    // SQLite's 22: a delivery whose route throws is retried, counted, and `failed` (a dead letter) at the limit.
    sql: bytewise(`
      ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0, ADD COLUMN last_error TEXT;
    `),
  },
  {
    version: 6,
    name: 'diff-jobs',
    // PostgreSQL only (SQLite's one process keeps its queue in memory): pushes to diff ahead of their
    // first view, leased like the other work so a dead replica's are taken over (postgres/diff-jobs.ts).
    sql: bytewise(`
      CREATE TABLE diff_jobs (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        tag BIGINT NOT NULL,
        queued_at BIGINT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until BIGINT
      );
      CREATE INDEX diff_jobs_lease_owner ON diff_jobs (lease_owner) WHERE lease_owner IS NOT NULL;
    `),
  },
  {
    version: 7,
    name: 'hot-leases-due-builds',
    // A claim and a release changed an indexed column (the partial lease_owner index), so each wrote a new row
    // version and an entry in every index of the row (a build's 16): a trigger's build had four such updates.
    // With no index on the lease columns and room left on each page (fillfactor), PostgreSQL rewrites the row in
    // place, a HOT update (issue #16). The heartbeat finds a replica's rows by the ids it claimed (leases.ts).
    // builds_delivery is the leading column of UNIQUE (delivery_id, event_index, job), which serves its reads.
    // builds_due holds the active builds in a claim's order (leases.ts): a claim reads the first few due, where it
    // sorted every due one of a backlog; its states are ACTIVE_BUILD_STATES (test/store/postgres-hot.test.ts).
    // It replaces builds_state (state, next_attempt_at) for the due reads; a state's count reads builds_state_seq.
    // builds_held holds only the builds a trigger waits behind (held.ts HELD_BUILD): the push-order check
    // before each trigger walked every pending build of its job (in a backlog, hundreds) to find none.
    // https://www.postgresql.org/docs/15/storage-hot.html
    sql: `
      DROP INDEX builds_lease_owner;
      DROP INDEX deliveries_lease_owner;
      DROP INDEX notifications_lease_owner;
      DROP INDEX host_posts_lease_owner;
      DROP INDEX builds_delivery;
      DROP INDEX builds_state;
      CREATE INDEX builds_due ON builds ((coalesce(next_attempt_at, 0)), seq)
        WHERE state IN ('pending', 'waiting-for-jenkins', 'triggering', 'queued', 'running');
      CREATE INDEX builds_held ON builds (job, seq)
        WHERE state = 'waiting-for-jenkins' OR (state = 'pending' AND next_attempt_at > 0)
          OR (state = 'triggering' AND (attempts > 1 OR missed_at IS NOT NULL));
      ALTER TABLE builds SET (fillfactor = 80);
      ALTER TABLE notifications SET (fillfactor = 80);
      ALTER TABLE host_posts SET (fillfactor = 80);
    `,
  },
]

/** The schema version this code knows. */
export const PG_SCHEMA_VERSION = Math.max(...PG_MIGRATIONS.map((m) => m.version))

/** One key for Tamer's migrations among whatever else takes advisory locks in that database ("tamer" in ASCII). */
export const MIGRATION_LOCK = 0x74616d6572

/**
 * Runs the migrations not applied yet (up to `until`), holding the advisory lock; refuses a database
 * whose recorded version is newer than PG_SCHEMA_VERSION. Returns the versions it ran.
 */
export async function migratePostgres(client: PoolClient, until = Infinity): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations')
    const applied = new Set(rows.map((r) => Number(r.version)))
    const newest = Math.max(0, ...applied)
    if (newest > PG_SCHEMA_VERSION)
      throw new SchemaTooNewError(
        `the database's schema is version ${newest}, this Tamer knows up to version ${PG_SCHEMA_VERSION}`,
      )
    const ran: number[] = []
    for (const m of PG_MIGRATIONS) {
      if (applied.has(m.version) || m.version > until) continue
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          new Date().toISOString(),
        ])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw err
      }
      ran.push(m.version)
    }
    return ran
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
  }
}
