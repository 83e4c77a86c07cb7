// The `tamer serve` configuration the pipeline benches run (bench:load, bench:dispatch served): signed GitHub
// pushes to one templated job on the Jenkins emulator, rate limits off, no background diffs (the pushes name a
// remote that does not exist), Tamer following no build during the bench.
import { writeFileSync } from 'node:fs'
import { DEFAULT_USER } from '../src/demo/jenkins-emulator/index.js'
import { SECRETS } from '../test/support/app.js'

export function writeServeConfig(
  file: string,
  o: { port: number; dataDir: string; jenkinsUrl: string; logLevel: string; pollInitialMs: number; pgUrl?: string },
): void {
  const config = {
    server: {
      host: '127.0.0.1',
      port: o.port,
      logLevel: o.logLevel,
      drainDelayMs: 0,
      rateLimit: { hooksPerSource: 1_000_000, hooksPerTenant: 1_000_000 },
    },
    dataDir: o.dataDir,
    ...(o.pgUrl ? { store: { engine: 'postgres', url: o.pgUrl } } : {}),
    providers: { github: { secrets: [SECRETS.github] } },
    api: { tokens: [SECRETS.api] },
    jenkins: { url: o.jenkinsUrl, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken, pollInitialMs: o.pollInitialMs },
    rules: [
      { name: 'ds', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds/{repo}/{branch}' },
    ],
    diffs: { precompute: false },
  }
  writeFileSync(file, JSON.stringify(config)) // JSON is YAML
}
