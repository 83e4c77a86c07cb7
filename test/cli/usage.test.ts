// `tamer` with a subcommand but not its arguments prints that subcommand's usage (issue #11 item 5:
// `tamer rules` said "unknown command rules"); --help prints it on stdout with status 0.
import t from 'tap'
import { runTamer } from '../support/cli.js'

t.test('tamer rules without an id prints the usage of rules test', async (t) => {
  for (const argv of [['rules'], ['rules', 'test']]) {
    const r = await runTamer(argv)
    t.equal(r.exitCode, 1, argv.join(' '))
    t.match(r.stderr, /^Usage: tamer rules test <id> \[-c FILE\]\n/, `${argv.join(' ')}: the usage`)
    t.match(r.stderr, /host's delivery GUID/, 'says which ids it takes')
    t.notMatch(r.stderr, /unknown command/)
  }
  const help = await runTamer(['rules', '--help'])
  t.same([help.exitCode, help.stderr], [0, ''])
  t.match(help.stdout, /^Usage: tamer rules test <id>/)
})

t.test('tamer --help on stdout, status 0; an unknown command names itself, status 1', async (t) => {
  const help = await runTamer(['--help'])
  t.equal(help.exitCode, 0)
  t.match(help.stdout, /rules test <id> +Show which routing rules match a stored delivery/)
  const unknown = await runTamer(['nope'])
  t.equal(unknown.exitCode, 1)
  t.match(unknown.stderr, /^tamer: unknown command nope\n/)
})
