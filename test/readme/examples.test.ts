// Every `npx tamer …` command line in the README's code blocks (issue #11): each one that can run
// here runs, in README order, through main() in process against a temp data dir, a temp git
// repository and the Jenkins emulator, and must give the exit status and a key line named below.
// One that cannot run offline is listed with the reason. A new example, a changed one, or one left
// here after the README dropped it fails the test, so the README and the command cannot drift.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_USER, startJenkinsEmulator } from '../../src/demo/jenkins-emulator/index.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable, makeRepo } from '../git/repo.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { runTamer } from '../support/cli.js'
import { KEY_A, tempDir, writeConfig } from '../support/operator.js'

interface Runs {
  exit: number
  /** A line (or pattern) the output must hold, stdout and stderr together. */
  says: RegExp
  /** Standard input, for `printf … | npx tamer …`. */
  stdin?: string
  /** Run in the temp git repository instead of the temp dir. */
  inRepo?: boolean
}
type Example = Runs | { cannot: string }

const GUID = '72d3162e-cc78-11e3-81ab-4c9367dc0958'

const EXAMPLES: Record<string, Example> = {
  'npx tamer --help': { exit: 0, says: /^Usage: tamer <command> \[options\]$/m },
  'npx tamer diff a.ipynb b.ipynb': { exit: 0, says: /^## modified \/cells\/0\/outputs\/0\/text:$/m },
  'npx tamer git-setup': {
    exit: 0,
    says: /^git config diff\.tamer\.command = (npx --no-install )?tamer git-diff-driver$/m,
    inRepo: true,
  },
  [`npx tamer rules test ${GUID}`]: {
    exit: 0,
    says: new RegExp(`^host delivery id ${GUID} is Tamer's delivery `, 'm'),
  },
  // The examples' store has no push of acme/churn-model: the command refuses it like the API (404).
  'npx tamer run acme/churn-model main --rule nightly': { exit: 2, says: /TAMER_NOT_FOUND/ },
  'npx tamer jobs sync': { exit: 0, says: /^created nightly\/churn \(data-science\)$/m },
  'npx tamer notify test --channel email --to you@example.com': {
    cannot: 'needs a mail server: test/notify/ sends the same sample through a real SMTP server',
  },
  'npx tamer secrets set risk-github-2026 --kind github-secret --tenant risk': {
    exit: 0,
    says: /risk-github-2026/,
    stdin: 'risk-secret-from-stdin-2026',
  },
  'npx tamer secrets set risk-git --kind git-credential --tenant risk --url https://github.com/risk-team/ --username x-access-token':
    { exit: 0, says: /risk-git/, stdin: 'ghs_token-from-stdin' },
  'npx tamer secrets list': { exit: 0, says: /^risk-github-2026\tgithub-secret\ttenant=risk\t/m },
  // Made below, before the examples, as the README's reader had made it a year before.
  'npx tamer secrets delete risk-github-2025': { exit: 0, says: /^deleted risk-github-2025;/m },
  'npx tamer tokens create --name "risk dashboard" --scope read --tenant risk': { exit: 0, says: /^tmr_\S{40,}$/m },
  'npx tamer tokens list': { exit: 0, says: /risk dashboard/ },
  // An id from the README, not one this store made: the answer for an unknown id.
  'npx tamer tokens revoke 3f9c0a1e5b7d2c44': { exit: 1, says: /^tamer: no live token 3f9c0a1e5b7d2c44$/m },
  // An id from the README, not one this store made (test/operations/replay.test.ts replays real ones).
  'npx tamer replay 0b6f6a1e-9d7e-4c1b-8f0e-2a6d1c3e5f70': { exit: 2, says: /TAMER_NOT_FOUND/ },
  'npx tamer dead-letters --retry': { exit: 0, says: /^0 of 0 put back to pending/m },
  'npx tamer migrate': { exit: 0, says: /^store migrated: sqlite \S+tamer\.db$/m },
}

/** The `npx tamer …` lines of the README's code blocks: continuations joined, comments and pipes dropped. */
function readmeExamples(): string[] {
  const readme = readFileSync('README.md', 'utf8')
  const blocks = [...readme.matchAll(/^```(?:sh|bash|shell)?\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
  const lines = blocks.flatMap((b) => b.replace(/\\\n\s*/g, '').split('\n'))
  const bare = lines.filter((l) => /^\s*tamer\s/.test(l) || /\|\s*tamer\s/.test(l))
  if (bare.length) throw new Error(`README shows tamer without npx (not on PATH after npm ci): ${bare.join(' / ')}`)
  return lines
    .map((l) => /(?:^|\|\s*)(npx tamer\b.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
}

/** Shell words: spaces split, single and double quotes group (no variables are in these lines). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!)
}

t.test('the README shows every CLI example as npx tamer, and each is listed here', async (t) => {
  const found = readmeExamples()
  t.same([...new Set(found)].sort(), Object.keys(EXAMPLES).sort(), 'README examples = the examples this test knows')
})

t.test('every README CLI example that can run offline runs and says what the README promises', async (t) => {
  if (!(await gitAvailable()))
    return void (process.env.CI ? t.fail('git is required in CI') : t.skip('no git', () => {}))
  const dir = tempDir(t)
  const jenkins = await startJenkinsEmulator({})
  t.teardown(() => jenkins.close())
  const file = writeConfig(dir, {
    jenkins: { url: jenkins.url, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken },
    rules: [
      { name: 'nightly', repository: 'acme-ds/*', events: ['tag'], template: 'data-science', job: 'nightly/churn' },
    ],
  })
  const env = { ...process.env, TAMER_CONFIG: file, TAMER_MASTER_KEY: KEY_A, TAMER_ACTOR: 'readme' }
  const nb = (out: string) => JSON.stringify(notebook([code('c1', 'print(acc)', [stream(out)], 1)]))
  writeFileSync(join(dir, 'a.ipynb'), nb('accuracy: 0.91\n'))
  writeFileSync(join(dir, 'b.ipynb'), nb('accuracy: 0.93\n'))
  const repo = await makeRepo(t)
  // A delivery GitHub sent with the README's GUID (a ping: nothing to route, still found by its GUID).
  mkdirSync(join(dir, 'data'), { recursive: true })
  const store = openSqliteStore({ file: join(dir, 'data', 'tamer.db') })
  await store.recordDelivery({
    provider: 'github',
    dedupeKey: `292430182:${GUID}`,
    hostDeliveryId: GUID,
    eventType: 'ping',
    tenant: 'default',
    repository: null,
    status: 'ping',
    headers: {},
    body: Buffer.from('{}'),
    normalized: { kind: 'ping', note: 'Keep it logically awesome.' },
    receivedAt: new Date().toISOString(),
  })
  await store.close()
  const old = await runTamer(['secrets', 'set', 'risk-github-2025', '--kind', 'github-secret', '--tenant', 'risk'], {
    env,
    cwd: dir,
    stdin: 'risk-secret-2025',
  })
  t.equal(old.exitCode, 0, old.stderr)

  for (const line of readmeExamples()) {
    const example = EXAMPLES[line]!
    if ('cannot' in example) {
      t.comment(`not run: ${line}: ${example.cannot}`)
      continue
    }
    const [, , ...argv] = words(line)
    const r = await runTamer(argv, { env, cwd: example.inRepo ? join(repo.root, 'work') : dir, stdin: example.stdin })
    t.equal(r.exitCode, example.exit, `${line}: exit ${example.exit}\n${r.stderr}`)
    t.match(r.stdout + r.stderr, example.says, `${line}: says ${example.says}`)
  }
})
