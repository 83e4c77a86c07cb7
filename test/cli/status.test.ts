// Issue #13: `tamer status test` posts one status with the configured credential and prints the
// host's answer; a rejected token is named by its config entry, never shown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runTamer } from '../support/cli.js'
import { GitHubStandIn } from '../support/hosts/github.js'

const TOKEN = 'ghp_cliStandInToken0123456789abcdefghijk'
const SHA = 'b'.repeat(40)

t.test('tamer status test: the host answer, or its refusal naming the entry', async (t) => {
  const stand = await new GitHubStandIn({ repositories: ['acme/models'], tokens: [TOKEN] }).start()
  const dir = mkdtempSync(join(tmpdir(), 'tamer-status-cli-'))
  t.teardown(async () => {
    await stand.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const config = (token: string) => {
    const file = join(dir, `${token.slice(-6)}.yaml`)
    writeFileSync(
      file,
      `dataDir: ${dir}\nreporting:\n  hosts:\n    - provider: github\n      apiUrl: ${stand.url}\n      token: ${token}\n`,
    )
    return file
  }
  const env = { PATH: process.env.PATH }
  const ok = await runTamer(['status', 'test', '--repo', 'github:acme/models', '--sha', SHA, '-c', config(TOKEN)], {
    env,
  })
  t.equal(ok.exitCode, 0, ok.stderr)
  t.match(ok.stdout, /posted tamer\/test on github:acme\/models@bbbbbbbbbbbb with reporting\.hosts\.0: \{"status":201/)
  t.equal(stand.statuses.length, 1)
  t.same(stand.violations, [])

  const badToken = 'ghp_cliRejectedToken0123456789abcdefghij'
  const bad = await runTamer(['status', 'test', '--repo', 'github:acme/models', '--sha', SHA, '-c', config(badToken)], {
    env,
  })
  t.equal(bad.exitCode, 1)
  t.match(bad.stderr, /github did not take the status \(reporting\.hosts\.0\): GitHub .*401 Bad credentials/)
  t.notMatch(bad.stderr + bad.stdout, badToken)

  const none = await runTamer(['status', 'test', '--repo', 'gitlab:acme/models', '--sha', SHA, '-c', config(TOKEN)], {
    env,
  })
  t.equal(none.exitCode, 2)
  t.match(none.stderr, /no reporting\.hosts entry covers gitlab/)
  t.equal((await runTamer(['status', 'test', '--repo', 'acme/models', '--sha', SHA], { env })).exitCode, 2)
})
