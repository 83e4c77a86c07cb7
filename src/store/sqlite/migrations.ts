// Versioned schema migrations; each runs once, in order, inside a transaction.
import type { Database } from 'better-sqlite3'

export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'deliveries',
    sql: `
      CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        host_delivery_id TEXT,
        event_type TEXT NOT NULL,
        tenant TEXT NOT NULL,
        repository TEXT,
        status TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        normalized TEXT NOT NULL,
        received_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (provider, dedupe_key)
      );
      CREATE INDEX deliveries_tenant_seq ON deliveries (tenant, seq);
      CREATE INDEX deliveries_repository_seq ON deliveries (repository, seq);
      CREATE INDEX deliveries_status_seq ON deliveries (status, seq);
      CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'builds',
    sql: `
      CREATE TABLE dispatches (
        delivery_id TEXT PRIMARY KEY REFERENCES deliveries (id),
        outcome TEXT NOT NULL,
        evaluation TEXT NOT NULL,
        decided_at TEXT NOT NULL
      );
      CREATE TABLE builds (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
        queue_id INTEGER,
        build_number INTEGER,
        build_url TEXT,
        result TEXT,
        duration_ms INTEGER,
        failing_stage TEXT,
        log_tail TEXT,
        tests TEXT,
        callback TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_error TEXT,
        accepted_at INTEGER NOT NULL,
        triggered_at INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (delivery_id, event_index, job)
      );
      CREATE INDEX builds_state ON builds (state, next_attempt_at);
      CREATE INDEX builds_delivery ON builds (delivery_id);
      CREATE INDEX builds_job_param ON builds (job, delivery_param);
      CREATE INDEX builds_tenant_seq ON builds (tenant, seq);
    `,
  },
  {
    version: 3,
    name: 'notifications',
    sql: `
      CREATE TABLE notice_decisions (
        build_id TEXT PRIMARY KEY REFERENCES builds (id),
        thread_key TEXT NOT NULL,
        outcome TEXT,
        notified INTEGER NOT NULL,
        reason TEXT NOT NULL,
        decided_at INTEGER NOT NULL
      );
      CREATE INDEX notice_decisions_thread ON notice_decisions (thread_key, decided_at);
      -- Builds that finished before notifications existed are not announced after an upgrade.
      INSERT INTO notice_decisions (build_id, thread_key, outcome, notified, reason, decided_at)
        SELECT id, '', NULL, 0, 'finished before notifications existed', 0 FROM builds WHERE state = 'finished';
      CREATE TABLE notifications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
        next_attempt_at INTEGER,
        last_error TEXT,
        accepted_by TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX notifications_state ON notifications (state, next_attempt_at);
      CREATE INDEX notifications_tenant_seq ON notifications (tenant, seq);
    `,
  },
  {
    version: 4,
    name: 'builds-event-key',
    // A repo hook and an org hook both deliver the same push (two deliveries, one event):
    // one job is started once per event, whichever delivery came first.
    sql: `
      ALTER TABLE builds ADD COLUMN event_key TEXT;
      CREATE UNIQUE INDEX builds_job_event_key ON builds (job, event_key) WHERE event_key IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'push-diffs',
    // A push's rendered diff, compressed, per variant (engine + limits + format version): pages,
    // notices and other replicas read it instead of computing it again (issue #3).
    sql: `
      CREATE TABLE push_diffs (
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        variant TEXT NOT NULL,
        payload BLOB NOT NULL,
        raw_bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (delivery_id, variant)
      );
    `,
  },
  {
    version: 6,
    name: 'push-diffs-age',
    // Retention deletes by age (diffs.storeDays).
    sql: `CREATE INDEX push_diffs_created ON push_diffs (created_at);`,
  },
  {
    version: 7,
    name: 'build-runs',
    // Every queue item and build Tamer learns of for a build's DELIVERY_ID, so a double Jenkins
    // did run (a human re-ran it) shows in /api/builds; and when an uncertain trigger was first
    // looked for and not found (it is posted again only after a second miss). Issue #17.
    sql: `
      ALTER TABLE builds ADD COLUMN missed_at INTEGER;
      CREATE TABLE build_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        build_id TEXT NOT NULL REFERENCES builds (id),
        job TEXT NOT NULL,
        queue_id INTEGER,
        build_number INTEGER,
        build_url TEXT,
        source TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX build_runs_build ON build_runs (build_id, seq);
    `,
  },
  {
    version: 8,
    name: 'secrets-tokens-audit',
    // Secrets sealed with AES-256-GCM under the master key (src/security/seal.ts), API tokens as
    // SHA-256 hashes with their scope and tenants, and the audit log of operator actions (issue #9).
    sql: `
      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        tenant TEXT,
        url TEXT,
        username TEXT,
        key_id TEXT NOT NULL,
        iv BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        tag BLOB NOT NULL,
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
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        tenant TEXT,
        detail TEXT NOT NULL
      );
      CREATE INDEX audit_log_tenant_seq ON audit_log (tenant, seq);
    `,
  },
  {
    version: 10,
    name: 'dispatches-skipped',
    // What the per-delivery caps left out (issue #9, item 8): JSON {events, builds}, null when nothing.
    sql: `ALTER TABLE dispatches ADD COLUMN skipped TEXT;`,
  },
  {
    version: 11,
    name: 'builds-subject',
    // What a build is for, typed (BuildSubject in ../builds.ts) instead of read back from its
    // Jenkins parameters, which a rule could override (issue #10). Rows planned before are filled
    // from their parameters, then from the stored event they were planned from wherever it reads.
    sql: `
      ALTER TABLE builds ADD COLUMN provider TEXT;
      ALTER TABLE builds ADD COLUMN ref TEXT;
      ALTER TABLE builds ADD COLUMN branch TEXT;
      ALTER TABLE builds ADD COLUMN commit_sha TEXT;
      ALTER TABLE builds ADD COLUMN pull_request INTEGER;
      UPDATE builds SET
        provider = nullif(json_extract(parameters, '$.PROVIDER'), ''),
        branch = nullif(json_extract(parameters, '$.BRANCH'), ''),
        commit_sha = nullif(json_extract(parameters, '$.COMMIT_SHA'), '');
      UPDATE builds SET
        provider = e.provider,
        ref = CASE e.kind WHEN 'push' THEN e.ref ELSE 'refs/heads/' || e.source_branch END,
        branch = CASE e.kind WHEN 'push' THEN e.branch ELSE e.source_branch END,
        commit_sha = CASE e.kind WHEN 'push' THEN e.after ELSE e.source_sha END,
        pull_request = CASE e.kind WHEN 'pull_request' THEN e.number END
      FROM (
        SELECT x.build_id, x.provider,
          json_extract(x.normalized, x.at || '.kind') AS kind,
          json_extract(x.normalized, x.at || '.ref') AS ref,
          json_extract(x.normalized, x.at || '.branch') AS branch,
          json_extract(x.normalized, x.at || '.after') AS after,
          json_extract(x.normalized, x.at || '.number') AS number,
          json_extract(x.normalized, x.at || '.source.branch') AS source_branch,
          json_extract(x.normalized, x.at || '.source.sha') AS source_sha
        FROM (
          SELECT b.id AS build_id, d.provider, d.normalized, '$.events[' || b.event_index || ']' AS at
          FROM builds b JOIN deliveries d ON d.id = b.delivery_id
          WHERE json_valid(d.normalized)
        ) AS x
      ) AS e
      WHERE e.build_id = builds.id AND e.kind IN ('push', 'pull_request');
    `,
  },
  {
    version: 12,
    name: 'events-host-delivery-id',
    // One name per id (issue #10): a stored event's host GUID was called deliveryId, the name of
    // Tamer's own id; it is hostDeliveryId now, in the rows stored before too (in event order).
    sql: `
      UPDATE deliveries SET normalized = json_set(normalized, '$.events', json((
        SELECT json_group_array(json(json_remove(json_set(e.value, '$.hostDeliveryId', json_extract(e.value, '$.deliveryId')), '$.deliveryId')) ORDER BY e.key)
        FROM json_each(deliveries.normalized, '$.events') AS e)))
      WHERE json_valid(normalized) AND json_type(normalized, '$.events') = 'array' AND json_array_length(normalized, '$.events') > 0;
    `,
  },
  {
    version: 13,
    name: 'list-indexes',
    // Every filter combination of /api/deliveries, /api/builds and /api/notifications (and each
    // tenant of a scoped token, page-query.ts) reads an index on (its columns…, seq): newest first
    // with no sort, `limit` rows at any size (issue #12: ?provider= sorted ~490k rows at 500k).
    // Not indexed: what a repository or a delivery narrows (page-lists.ts narrowedBy).
    sql: `
      CREATE INDEX deliveries_provider_seq ON deliveries (provider, seq);
      CREATE INDEX deliveries_provider_status_seq ON deliveries (provider, status, seq);
      CREATE INDEX deliveries_tenant_provider_seq ON deliveries (tenant, provider, seq);
      CREATE INDEX deliveries_tenant_status_seq ON deliveries (tenant, status, seq);
      CREATE INDEX deliveries_tenant_provider_status_seq ON deliveries (tenant, provider, status, seq);
      CREATE INDEX deliveries_repository_status_seq ON deliveries (repository, status, seq);
      CREATE INDEX builds_state_seq ON builds (state, seq);
      CREATE INDEX builds_job_seq ON builds (job, seq);
      CREATE INDEX builds_job_state_seq ON builds (job, state, seq);
      CREATE INDEX builds_tenant_state_seq ON builds (tenant, state, seq);
      CREATE INDEX builds_tenant_job_seq ON builds (tenant, job, seq);
      CREATE INDEX builds_tenant_job_state_seq ON builds (tenant, job, state, seq);
      CREATE INDEX notifications_state_seq ON notifications (state, seq);
      CREATE INDEX notifications_tenant_state_seq ON notifications (tenant, state, seq);
    `,
  },
  {
    version: 14,
    name: 'host-delivery-id',
    // `tamer rules test <id>` takes the host's GUID too (what GitHub's "Recent deliveries" shows, issue #11).
    sql: `CREATE INDEX deliveries_host_delivery_id ON deliveries (host_delivery_id, seq);`,
  },
  {
    version: 15,
    name: 'list-indexes-repository',
    // What a repository narrows (tenant, provider: page-lists.ts narrowedBy) is checked on the
    // repository's index entries, not on its rows: tenant and provider follow seq in the index, so
    // another tenant's busy repository, asked by a scoped token, reads its index range and no row.
    sql: `
      DROP INDEX deliveries_repository_seq;
      DROP INDEX deliveries_repository_status_seq;
      CREATE INDEX deliveries_repository_seq ON deliveries (repository, seq, tenant, provider);
      CREATE INDEX deliveries_repository_status_seq ON deliveries (repository, status, seq, tenant, provider);
    `,
  },
  {
    version: 16,
    name: 'metric-reports',
    // Issue #15: each metrics report of a build's gate, per repository/branch/commit/build, with its verdict.
    // History pages read (repository, branch, seq); the baseline, a branch's newest report of a green build.
    sql: `
      CREATE TABLE metric_reports (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        build_id TEXT NOT NULL REFERENCES builds (id),
        tenant TEXT NOT NULL,
        repository TEXT NOT NULL,
        branch TEXT,
        commit_sha TEXT,
        job TEXT NOT NULL,
        build_number INTEGER,
        metrics TEXT NOT NULL,
        pass INTEGER NOT NULL,
        verdict TEXT NOT NULL,
        reported_at TEXT NOT NULL
      );
      CREATE INDEX metric_reports_repository_branch_seq ON metric_reports (repository, branch, seq, tenant);
      CREATE INDEX metric_reports_repository_seq ON metric_reports (repository, seq, tenant);
      CREATE INDEX metric_reports_build_seq ON metric_reports (build_id, seq);
    `,
  },
  {
    version: 17,
    name: 'branch-registry',
    // Issue #14: branches per repository (from pushes and the remote), re-sequenced on each change
    // so newest-first pages are most recently changed first; the last slot of each schedule; the
    // last build per branch and rule.
    sql: `
      CREATE TABLE repositories (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
      CREATE TABLE branch_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), delivery_seq INTEGER NOT NULL);
      CREATE TABLE schedule_slots (key TEXT PRIMARY KEY, slot TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE INDEX builds_repository_branch_rule_seq ON builds (repository, branch, rule, seq);
    `,
  },
  {
    version: 18,
    name: 'host-posts',
    // The outbox of commit statuses and PR comments (issue #13): one row per decided post; the
    // unique key makes deciding again harmless, `version` orders the posts of one target.
    sql: `
      CREATE TABLE host_posts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        build_id TEXT,
        tenant TEXT NOT NULL,
        provider TEXT NOT NULL,
        repository TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        credential TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_error TEXT,
        answer TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (provider, repository, target, version)
      );
      CREATE INDEX host_posts_state ON host_posts (state, next_attempt_at);
      CREATE INDEX host_posts_build ON host_posts (build_id, seq);
    `,
  },
  {
    version: 19,
    name: 'notifications-build',
    // A build's notices, newest first (the console's delivery and build pages; GET /api/notifications?build=).
    sql: `CREATE INDEX notifications_build_seq ON notifications (build_id, seq);`,
  },
  {
    version: 20,
    name: 'signoffs',
    // Sign-off through Tamer (issue #15): one row per build and Jenkins input, one per party and its
    // decision (made once: a replayed link finds it set), and what Tamer then told Jenkins.
    sql: `
      CREATE TABLE signoffs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        build_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        repository TEXT,
        environment TEXT NOT NULL,
        input_id TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
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
    `,
  },
  {
    version: 21,
    name: 'parity-reports',
    // The dev/prod parity gate (issue #15 item 3): each result of a build's parity stage, with its comparison.
    sql: `
      CREATE TABLE parity_reports (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        build_id TEXT NOT NULL REFERENCES builds (id),
        tenant TEXT NOT NULL,
        repository TEXT NOT NULL,
        branch TEXT,
        commit_sha TEXT,
        job TEXT NOT NULL,
        build_number INTEGER,
        pass INTEGER NOT NULL,
        result TEXT NOT NULL,
        reported_at TEXT NOT NULL
      );
      CREATE INDEX parity_reports_build_seq ON parity_reports (build_id, seq);
    `,
  },
  {
    version: 22,
    name: 'delivery-attempts',
    // A delivery whose route throws is retried, counted here, and `failed` (a dead letter) at the limit (issue #16).
    sql: `
      ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deliveries ADD COLUMN last_error TEXT;
    `,
  },
  {
    version: 23,
    name: 'delivery-bodies',
    // The raw body in its own table, keyed by the delivery's seq (issue #12): SQLite rewrites a whole row,
    // overflow pages and all, on any UPDATE that changes its size, so routing a delivery ('pending' →
    // 'processed') wrote its body to the WAL a second time (1 MB bodies: 18 ms of the writer's time per
    // update, 3 ms without the body). Rows stored before keep theirs in deliveries.body; new rows store X''.
    // https://sqlite.org/fileformat2.html#ovflpgs
    // `size`: the body's length as received; `deflated`: 1 when `body` is its raw deflate (bodies of
    // 16 KB and more, delivery-row.ts packBody), 0 when it is the bytes themselves.
    sql: `
      CREATE TABLE delivery_bodies (
        seq INTEGER PRIMARY KEY,
        size INTEGER NOT NULL,
        deflated INTEGER NOT NULL,
        body BLOB NOT NULL
      );
    `,
  },
  {
    version: 24,
    name: 'delivery-list-arms',
    // Every insert writes each index of deliveries (issue #12: 13 B-trees per delivery). A list that does not
    // filter on status reads one arm per status from the (…, status, seq) index of its other filters, merged in
    // seq order (page-lists.ts armsBy), so these four, the same columns without status, serve nothing more.
    sql: `
      DROP INDEX deliveries_tenant_seq;
      DROP INDEX deliveries_provider_seq;
      DROP INDEX deliveries_tenant_provider_seq;
      DROP INDEX deliveries_repository_seq;
    `,
  },
]

/** Runs the migrations not applied yet, up to `until` (benches and tests stop earlier). */
export function migrate(db: Database, until = Infinity): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  const ran: number[] = []
  for (const m of MIGRATIONS) {
    if (applied.has(m.version) || m.version > until) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      )
    })()
    ran.push(m.version)
  }
  return ran
}
