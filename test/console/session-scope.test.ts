// A console session does what its token may do now, not what it could at sign-in: the same session
// cookie (a fixed console.sessionSecret, so it outlives a restart) after the config narrowed its token
// to one tenant and the read scope sees that tenant only and may not use the forms that change state.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { composeForTest, testConfig } from '../support/app.js'

const SESSION_SECRET = 'console-session-secret-0123456789abcdef'

const configWith = (token: Record<string, unknown>) =>
  testConfig({
    tenants: [{ name: 'risk', repositories: ['risk-team/*'] }],
    api: { tokens: [{ token: 'ops-token', name: 'ops', ...token }] },
    console: { sessionSecret: SESSION_SECRET },
  })

t.test('a narrowed config token narrows its open console sessions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-console-scope-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const before = await composeForTest(configWith({ scope: 'operate' }), { store })
  const login = await before.app.inject({ method: 'POST', url: '/ui/login', payload: { token: 'ops-token' } })
  t.equal(login.statusCode, 303)
  const cookie = String(login.headers['set-cookie']).split(';')[0]!
  const wide = await before.app.inject({ url: '/ui/deliveries', headers: { cookie } })
  t.equal(wide.statusCode, 200)
  t.match(wide.body, '<option>default</option>', 'every tenant at sign-in')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(wide.body)?.[1] ?? ''
  const resend = (app: typeof before.app) =>
    app.inject({
      method: 'POST',
      url: '/ui/notifications/no-such-notice/resend',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    })
  t.equal((await resend(before.app)).statusCode, 404, 'operate: the form runs (and finds no such notice)')
  await before.app.close()

  const after = await composeForTest(configWith({ scope: 'read', tenants: ['risk'] }), { store })
  t.teardown(() => after.app.close())
  const narrow = await after.app.inject({ url: '/ui/deliveries', headers: { cookie } })
  t.equal(narrow.statusCode, 200, 'the session lives on')
  t.match(narrow.body, '<option>risk</option>')
  t.notMatch(narrow.body, '<option>default</option>', "the token's one tenant only")
  t.equal((await resend(after.app)).statusCode, 403, 'read: the forms that change state are refused')
})
