// `tamer git-setup` (issue #11 item 8): git config gets a command git finds again, never a path into
// the checkout that ran the setup, so moving or deleting that checkout leaves `git diff` working.
// A real repository; the real `git diff`, which starts the real bin through a `tamer` on PATH.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { gitAvailable, makeRepo, tempDir } from '../git/repo.js'
import { runTamer } from '../support/cli.js'

import { childEnv, tamerArgv } from '../support/ts-hooks.js'
const nb = (src: string, out: string) => JSON.stringify(notebook([code('c1', src, [stream(out)], 1)]), null, 1)

/** A folder with a `tamer` that starts this checkout's bin: what `npm i -g` or `npm link` puts on PATH. */
function installTamer(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const bin = join(dir, 'tamer')
  writeFileSync(
    bin,
    `#!/bin/sh\nexec '${process.execPath}' ${tamerArgv()
      .map((a) => `'${a}'`)
      .join(' ')} "$@"\n`,
  )
  chmodSync(bin, 0o755)
  return dir
}

// Neither ~/.gitconfig nor /etc/gitconfig of this machine: only what the setup wrote.
const gitEnv = (path: string) => childEnv({ PATH: path, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' })

t.test('git-setup writes `tamer` when it is on PATH; git diff keeps working after that install moves', async (t) => {
  if (!(await gitAvailable()))
    return void (process.env.CI ? t.fail('git is required in CI') : t.skip('no git', () => {}))
  const repo = await makeRepo(t)
  repo.write({ 'train.ipynb': nb('acc = fit()\nprint(acc)', 'accuracy: 0.91\n') })
  await repo.commit('one')
  repo.write({ 'train.ipynb': nb('acc = fit(epochs=5)\nprint(acc)', 'accuracy: 0.93\n') })
  await repo.commit('two')
  const work = join(repo.root, 'work')
  const tools = tempDir(t, 'tamer-install-')
  const first = installTamer(join(tools, 'first'))

  const setup = await runTamer(['git-setup'], { cwd: work, env: gitEnv(`${first}${delimiter}${process.env.PATH}`) })
  t.equal(setup.exitCode, 0, setup.stderr)
  const command = await repo.git('config', 'diff.tamer.command')
  t.equal(command, 'tamer git-diff-driver', 'a command found on PATH, as nbdime writes git-nbdiffdriver')
  t.notMatch(command, process.cwd(), 'no path into the checkout that ran the setup')
  t.match(readFileSync(join(work, '.gitattributes'), 'utf8'), '*.ipynb\tdiff=tamer\n')

  // The install that ran the setup is gone; another one is on PATH (an upgrade, a moved checkout).
  rmSync(first, { recursive: true, force: true })
  const second = installTamer(join(tools, 'second'))
  const diff = await execa('git', ['diff', 'HEAD~1', 'HEAD', '--', 'train.ipynb'], {
    cwd: work,
    env: gitEnv(`${second}${delimiter}${process.env.PATH}`),
  })
  t.match(diff.stdout, /^nbdiff a\/train\.ipynb b\/train\.ipynb$/m)
  t.match(diff.stdout, /## modified \/cells\/0\/outputs\/0\/text:\n@@ -1 \+1 @@\n-accuracy: 0\.91\n\+accuracy: 0\.93/)

  const again = await runTamer(['git-setup', '--command', 'tamer'], { cwd: work })
  t.equal(again.exitCode, 0)
  t.equal(readFileSync(join(work, '.gitattributes'), 'utf8').match(/diff=tamer/g)?.length, 1, 'idempotent')
})

t.test('git-setup without tamer on PATH writes npx --no-install tamer, which finds the local bin', async (t) => {
  if (!(await gitAvailable()))
    return void (process.env.CI ? t.fail('git is required in CI') : t.skip('no git', () => {}))
  const repo = await makeRepo(t)
  const work = join(repo.root, 'work')
  const path = process.env
    .PATH!.split(delimiter)
    .filter((d) => !existsSync(join(d, 'tamer')))
    .join(delimiter)
  const setup = await runTamer(['git-setup'], { cwd: work, env: gitEnv(path) })
  t.equal(setup.exitCode, 0, setup.stderr)
  t.equal(await repo.git('config', 'diff.tamer.command'), 'npx --no-install tamer git-diff-driver')
  t.match(setup.stdout, /tamer is not on PATH: git runs it through npx/)
  // What npm ci makes in a project that depends on Tamer: node_modules/.bin/tamer, relative to the repository.
  installTamer(join(work, 'node_modules', '.bin'))
  writeFileSync(join(work, '.gitignore'), 'node_modules/\n')
  repo.write({ 'train.ipynb': nb('x = 1', '1\n') })
  await repo.commit('one')
  repo.write({ 'train.ipynb': nb('x = 2', '2\n') })
  const diff = await execa('git', ['diff', '--', 'train.ipynb'], { cwd: work, env: gitEnv(path) })
  t.match(diff.stdout, /^nbdiff a\/train\.ipynb b\/train\.ipynb$/m)
  t.match(diff.stdout, /## modified \/cells\/0\/source:/)
})
