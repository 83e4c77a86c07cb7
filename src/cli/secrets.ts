// `tamer secrets set|list|delete|rotate`: secrets sealed in the store under TAMER_MASTER_KEY.
// A value is read from standard input, never from the command line (which `ps` shows to every
// user of the machine), and `list` never prints one. Every change is in the audit log.
import { parseArgs } from 'node:util'
import { loadDraftConfig } from '../config/load.js'
import { masterKeysFromEnv } from '../security/master-key.js'
import { openSecurityStoreOf } from '../store/open.js'
import { cliActor, type CommandIo, processCommandIo, runCommand } from '../security/command-io.js'
import {
  checkSetRequest,
  deleteSecret,
  describeSecret,
  rotateSecrets,
  SECRET_KINDS,
  setSecret,
} from '../secrets/stored.js'

export const SECRETS_USAGE = `Usage:
  tamer secrets set NAME --kind KIND [--tenant T] [--url PREFIX] [--username U]   (the value on stdin)
  tamer secrets list
  tamer secrets delete NAME
  tamer secrets rotate     (TAMER_MASTER_KEY = the new key, TAMER_MASTER_KEY_OLD = the old one)

Kinds: ${Object.keys(SECRET_KINDS).join(', ')}
Options: -c, --config FILE
`

export async function secretsCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      kind: { type: 'string' },
      tenant: { type: 'string' },
      url: { type: 'string' },
      username: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [sub, name] = positionals
  if (
    v.help ||
    !sub ||
    !['set', 'list', 'delete', 'rotate'].includes(sub) ||
    ((sub === 'set' || sub === 'delete') && !name)
  ) {
    ;(v.help ? io.out : io.err)(SECRETS_USAGE)
    return v.help ? 0 : 2
  }
  return runCommand(io, async () => {
    const config = loadDraftConfig({ env: io.env, file: v.config })
    const keys = masterKeysFromEnv(io.env)
    const spec = {
      name: name ?? '',
      kind: v.kind ?? '',
      tenant: v.tenant ?? null,
      url: v.url ?? null,
      username: v.username ?? null,
    }
    const value = sub === 'set' ? (await io.stdin()).replace(/\r?\n$/, '') : ''
    // Refused before the store is opened.
    if (sub === 'set') checkSetRequest(config, keys, spec, value)
    const store = (await openSecurityStoreOf(config))!
    try {
      const actor = cliActor(io.env, io.user)
      if (sub === 'list') {
        const rows = (await store.listSecrets()).map(describeSecret)
        if (rows.length === 0) io.out('no stored secrets\n')
        for (const r of rows)
          io.out(
            `${r.name}\t${r.kind}\t${r.tenant ? `tenant=${r.tenant}` : 'all tenants'}${r.url ? `\turl=${r.url}` : ''}${r.username ? `\tuser=${r.username}` : ''}\tkey=${r.keyId}\tupdated=${r.updatedAt}\n`,
          )
        return 0
      }
      if (sub === 'delete') {
        if (!(await deleteSecret(store, name!, actor))) {
          io.err(`tamer: no stored secret ${name}\n`)
          return 1
        }
        io.out(`deleted ${name}; restart tamer serve for it to stop being accepted\n`)
        return 0
      }
      if (sub === 'rotate') {
        const r = await rotateSecrets(store, keys, actor)
        io.out(
          `re-sealed ${r.rotated} secret${r.rotated === 1 ? '' : 's'} from key ${r.from.join(', ') || '(none)'} to key ${r.to}; start tamer serve with the new TAMER_MASTER_KEY\n`,
        )
        return 0
      }
      await setSecret(config, store, keys, spec, value, actor)
      io.out(
        `stored ${name} (${spec.kind}${spec.tenant ? `, tenant ${spec.tenant}` : ''}) under key ${keys.current!.id}; restart tamer serve to use it\n`,
      )
      return 0
    } finally {
      await store.close()
    }
  })
}

/** `tamer secrets …` as the bin runs it: the process's env, stdin and output. */
export const run = (argv: string[], io: CommandIo = processCommandIo()): Promise<number> => secretsCommand(argv, io)
