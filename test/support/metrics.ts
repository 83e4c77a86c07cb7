// A data-science repository on a real git server (git http-backend over HTTP on 127.0.0.1), the real
// service on it (test/support/pipeline-app.ts: SQLite, the Jenkins emulator), and what the template's
// metric gate does: post the build's metrics signed with the callback secret, read the verdict.
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serveGit } from '../../src/demo/git-http-server.js'
import { MirrorCache } from '../../src/git/mirror.js'
import type { BuildRecord } from '../../src/store/builds.js'
import { makeRepo, type TestRepo } from '../git/repo.js'
import { githubPush } from './payloads.js'
import { CALLBACK_SECRET, startPipelineApp, type PipelineHarness } from './pipeline-app.js'

export const FULL_NAME = 'acme-ds/churn-model'

export const DS_TEMPLATE_RULE = {
  name: 'ds',
  repository: 'acme-ds/*',
  branch: '.*',
  events: ['push'],
  template: 'data-science',
  job: 'ds/{repo}/{branch}',
}

export interface MetricsHarness {
  h: PipelineHarness
  repo: TestRepo
  /** Commits `files` on `branch`, pushes it to the git server and sends Tamer the signed webhook. */
  push(branch: string, files: Record<string, string>): Promise<{ sha: string; build: BuildRecord | undefined }>
  /** What the template's gate posts; `raw` replaces the JSON (Python's NaN and Infinity). */
  post(b: BuildRecord, metrics: unknown, raw?: string): Promise<{ statusCode: number; body: Record<string, unknown> }>
  /** Runs the build in the emulator to its end with this result. */
  finish(result: 'SUCCESS' | 'FAILURE'): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export const sign = (body: string | Buffer) =>
  `sha256=${createHmac('sha256', CALLBACK_SECRET).update(body).digest('hex')}`

export async function startMetricsHarness(
  t: Teardown,
  o: { config?: Record<string, unknown>; notifier?: boolean; io?: Record<string, unknown> } = {},
): Promise<MetricsHarness> {
  const repo = await makeRepo(t, { fullName: FULL_NAME })
  const server = await serveGit({ projectRoot: repo.root })
  t.teardown(() => server.close())
  const hostPort = new URL(server.url).host
  const dir = mkdtempSync(join(tmpdir(), 'tamer-metrics-mirrors-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const hosts = [{ provider: 'github' as const, url: server.url }]
  const h = await startPipelineApp(t, {
    rules: [DS_TEMPLATE_RULE],
    notifier: o.notifier,
    config: {
      ...o.config,
      git: { hosts, protocols: ['http'], allowPrivateHosts: [hostPort] },
    },
    io: {
      mirrors: new MirrorCache({ dir, hosts, allowProtocols: ['http'], allowPrivateHosts: [hostPort] }),
      ...o.io,
    },
  })
  const tips = new Map<string, string>()
  const base = githubPush().repository
  return {
    h,
    repo,
    async push(branch, files) {
      if (branch !== 'main' && !tips.has(branch)) await repo.git('checkout', '--quiet', '-B', branch, 'main')
      else if (tips.has(branch)) await repo.git('checkout', '--quiet', branch)
      repo.write(files)
      const sha = await repo.commit(`change ${branch}`)
      await repo.push(branch)
      const before = tips.get(branch) ?? '0000000000000000000000000000000000000000'
      tips.set(branch, sha)
      const seen = new Set((await h.builds()).map((b) => b.id))
      const res = await h.push({
        ref: `refs/heads/${branch}`,
        before,
        after: sha,
        created: before.startsWith('0000'),
        repository: { ...base, clone_url: `${server.url}/${FULL_NAME}.git` },
        commits: [],
        head_commit: null,
      })
      if (res.statusCode !== 202) throw new Error(`push answered ${res.statusCode}`)
      await h.drain()
      const build = (await h.builds()).find((b) => !seen.has(b.id))
      return { sha, build }
    },
    async post(b, metrics, raw) {
      const cur = (await h.store.getBuild(b.id))!
      const body =
        raw ??
        JSON.stringify({
          delivery_id: cur.parameters.DELIVERY_ID,
          job: cur.job,
          build_number: cur.buildNumber,
          metrics,
        })
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/jenkins/metrics',
        headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body) },
        payload: body,
      })
      return { statusCode: res.statusCode, body: res.json() }
    },
    async finish(result) {
      h.jenkins.control.setDefaultScenario({ result, durationMs: 1000, stages: ['Checkout', 'Metric gate'] })
      for (let i = 0; i < 6; i++) {
        h.advance(5_000)
        await h.drain()
      }
    },
  }
}
