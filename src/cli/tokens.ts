// `tamer tokens create|list|revoke`: API tokens stored hashed, with a scope and tenants. `create`
// prints the token once; nothing can show it again. Every change is in the audit log.
import { parseArgs } from 'node:util'
import { loadDraftConfig } from '../config/load.js'
import { cliActor, processCommandIo, runCommand, type CommandIo } from '../security/command-io.js'
import type { AccessLevel } from '../store/security.js'
import { openSecurityStoreOf } from '../store/open.js'
import { checkTokenRequest, createToken, describeToken, revokeToken } from '../access/tokens.js'

export const TOKENS_USAGE = `Usage:
  tamer tokens create --name NAME [--scope read|operate|admin] [--tenant T …]   (prints the token once)
  tamer tokens list
  tamer tokens revoke ID
Options: -c, --config FILE
`

export async function tokensCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      name: { type: 'string' },
      scope: { type: 'string' },
      tenant: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [sub, id] = positionals
  if (v.help || !sub || !['create', 'list', 'revoke'].includes(sub) || (sub === 'revoke' && !id)) {
    ;(v.help ? io.out : io.err)(TOKENS_USAGE)
    return v.help ? 0 : 2
  }
  return runCommand(io, async () => {
    const config = loadDraftConfig({ env: io.env, file: v.config })
    const request = { name: v.name ?? '', access: (v.scope ?? 'read') as AccessLevel, tenants: v.tenant ?? null }
    if (sub === 'create') checkTokenRequest(request, [...config.tenants.map((t) => t.name), config.defaultTenant])
    const store = (await openSecurityStoreOf(config))!
    try {
      const actor = cliActor(io.env, io.user)
      if (sub === 'create') {
        const { token, record } = await createToken(store, request, actor)
        io.err(
          `token ${record.id} (${record.name}), scope ${record.access}, ${record.tenants ? `tenants ${record.tenants.join(', ')}` : 'every tenant'}; it is shown once:\n`,
        )
        io.out(`${token}\n`)
        return 0
      }
      const tokens = await store.listApiTokens()
      if (sub === 'list') {
        if (tokens.length === 0) io.out('no stored tokens (tokens of api.tokens in the config are not listed)\n')
        for (const t of tokens.map(describeToken))
          io.out(
            `${t.id}\t${t.name}\t${t.scope}\t${t.tenants ? t.tenants.join(',') : '*'}\tcreated ${t.createdAt} by ${t.createdBy}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ''}\n`,
          )
        return 0
      }
      const record = tokens.find((t) => t.id === id && t.revokedAt === null)
      if (!record || !(await revokeToken(store, record, actor))) {
        io.err(`tamer: no live token ${id}\n`)
        return 1
      }
      io.out(`revoked ${id} (${record.name}); it is refused from now on\n`)
      return 0
    } finally {
      await store.close()
    }
  })
}

/** `tamer tokens …` as the bin runs it: the process's env, stdin and output. */
export const run = (argv: string[], io: CommandIo = processCommandIo()): Promise<number> => tokensCommand(argv, io)
