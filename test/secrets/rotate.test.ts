// Sealed secrets across keys (issue #9): serve refuses to start without the key that opens them,
// and `tamer secrets rotate` re-seals every one under the new key in one transaction (or none).
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { keyId, parseMasterKey } from '../../src/security/master-key.js'
import { seal } from '../../src/security/seal.js'
import { aadOf } from '../../src/secrets/stored.js'
import { openSecurityStore } from '../../src/store/sqlite/security-store.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { KEY_A, KEY_B, pushFor, secrets, serveLike, tempDir, writeConfig } from '../support/operator.js'

t.test('no master key, or the wrong one: serve refuses to start, naming the problem', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir)
  t.equal(
    (
      await secrets(
        ['set', 's1', '--kind', 'github-secret', '--config', file],
        { TAMER_MASTER_KEY: KEY_A },
        'value-one-0001',
      )
    ).code,
    0,
  )
  await t.rejects(serveLike(t, {}, file), {
    code: 'TAMER_MASTER_KEY_MISSING',
    message: /No master key: 1 stored secret needs TAMER_MASTER_KEY/,
  })
  await t.rejects(serveLike(t, { TAMER_MASTER_KEY: KEY_B }, file), {
    code: 'TAMER_SECRET_UNDECRYPTABLE',
    message: /s1 cannot be opened: it is sealed under key/,
  })
})

t.test('tamer secrets rotate: every secret re-sealed under the new key in one transaction', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir)
  const a = { TAMER_MASTER_KEY: KEY_A }
  const both = { TAMER_MASTER_KEY: KEY_B, TAMER_MASTER_KEY_OLD: KEY_A }
  t.equal(
    (
      await secrets(
        ['set', 'ds-github', '--kind', 'github-secret', '--tenant', 'ds', '--config', file],
        a,
        'ds-secret-0001',
      )
    ).code,
    0,
  )
  t.equal(
    (
      await secrets(
        [
          'set',
          'cred',
          '--kind',
          'git-credential',
          '--url',
          'https://github.com/acme-ds/',
          '--username',
          'bot',
          '--config',
          file,
        ],
        a,
        'ghs_credential_0001',
      )
    ).code,
    0,
  )
  t.match(
    (await secrets(['rotate', '--config', file], a)).err,
    /needs the new key as TAMER_MASTER_KEY and the old one as TAMER_MASTER_KEY_OLD/,
  )
  t.match(
    (await secrets(['rotate', '--config', file], { TAMER_MASTER_KEY: KEY_A, TAMER_MASTER_KEY_OLD: KEY_A })).err,
    /the same key/,
  )

  // While rotation is pending the server starts on the old key given as TAMER_MASTER_KEY_OLD.
  const pending = await serveLike(t, both, file)
  t.equal((await pending.app.inject(pushFor('acme-ds/model', 'ds-secret-0001'))).statusCode, 202)
  await pending.app.close()
  await pending.store.close()

  const r = await secrets(['rotate', '--config', file], both)
  t.equal(r.code, 0, r.err)
  const idB = keyId(Buffer.from(KEY_B, 'hex'))
  t.match(r.out, new RegExp(`re-sealed 2 secrets from key ${keyId(Buffer.from(KEY_A, 'base64'))} to key ${idB}`))
  t.match((await secrets(['list', '--config', file], {})).out.split('\n').filter(Boolean), [
    new RegExp(`key=${idB}`),
    new RegExp(`key=${idB}`),
  ])
  await t.rejects(
    serveLike(t, a, file),
    { code: 'TAMER_SECRET_UNDECRYPTABLE' },
    'the old key alone no longer opens them',
  )
  const after = await serveLike(t, { TAMER_MASTER_KEY: KEY_B }, file)
  t.equal(
    (await after.app.inject(pushFor('acme-ds/model', 'ds-secret-0001'))).statusCode,
    202,
    'the new key opens them',
  )
  t.match(after.config.git.credentials, [
    { url: 'https://github.com/acme-ds/', username: 'bot', password: 'ghs_credential_0001' },
  ])
  t.match((await after.store.listAudit({ limit: 1 }))[0], {
    action: 'secrets.rotate',
    actor: 'cli:ops-alice',
    detail: { secrets: 2, to: idB },
  })
  await after.app.close()
  await after.store.close()

  // A secret sealed under a third key stops the rotation before anything changes.
  const keyC = randomBytes(32).toString('base64')
  t.equal(
    (
      await secrets(
        ['set', 'odd', '--kind', 'bitbucket-secret', '--config', file],
        { TAMER_MASTER_KEY: keyC },
        'bb-secret-0001',
      )
    ).code,
    2,
    'set checks the whole set opens under the key it is given',
  )
  const store = openSecurityStore(join(dir, 'data', 'tamer.db'))
  const spec = { name: 'odd', kind: 'bitbucket-secret', tenant: null, url: null, username: null }
  await store.putSecret(
    { ...spec, ...seal(parseMasterKey('C', keyC), 'bb-secret-0001', aadOf(spec)) },
    { actor: 'test', action: 'secret.set', target: 'odd', tenant: null, detail: {} },
  )
  const before = (await store.listSecrets()).map((s) => `${s.name}:${s.keyId}:${s.ciphertext.toString('hex')}`)
  await store.close()
  const three = await secrets(['rotate', '--config', file], { TAMER_MASTER_KEY: KEY_A, TAMER_MASTER_KEY_OLD: KEY_B })
  t.equal(three.code, 2)
  t.match(three.err, /Rotation stopped, nothing was changed: secret odd is sealed under key/)
  const again = openSecurityStore(join(dir, 'data', 'tamer.db'))
  t.same(
    (await again.listSecrets()).map((s) => `${s.name}:${s.keyId}:${s.ciphertext.toString('hex')}`),
    before,
    'no row moved',
  )
  await again.close()
})

t.test(
  'a secret changed while the rotation ran is refused on the writer thread (TAMER_ROTATION_FAILED), and nothing moves',
  async (t) => {
    const store = openSqliteStore({ file: join(tempDir(t), 'tamer.db') })
    t.teardown(() => store.close())
    const a = parseMasterKey('A', KEY_A)
    const b = parseMasterKey('B', KEY_B)
    const spec = { name: 's1', kind: 'github-secret', tenant: null, url: null, username: null }
    const audit = { actor: 'test', action: 'secrets.rotate', target: null, tenant: null, detail: {} }
    await store.putSecret(
      { ...spec, ...seal(a, 'value-one-0001', aadOf(spec)) },
      { ...audit, action: 'secret.set', target: 's1' },
    )
    // What the rotation read is not what the row holds now (another `tamer secrets set` ran meanwhile).
    const stale = {
      name: 's1',
      before: Buffer.from('not what the row holds'),
      sealed: seal(b, 'value-one-0001', aadOf(spec)),
    }
    await t.rejects(store.resealSecrets([stale], audit), {
      code: 'TAMER_ROTATION_FAILED',
      message: /secret s1 changed while the rotation ran; run it again/,
    })
    t.match(await store.listSecrets(), [{ name: 's1', keyId: a.id }], 'still under the old key')
    t.equal(
      (await store.listAudit({ limit: 10 })).filter((e) => e.action === 'secrets.rotate').length,
      0,
      'no rotation in the audit log',
    )
  },
)
