// What is secret is defined once (src/security/secret-fields.ts) and its three users derive from
// it: the log redaction (src/logging.ts), the headers stored with a delivery (src/intake/headers.ts)
// and the masking of notices (src/notify/mask.ts, through src/security/secrets.ts). A token shape
// or header added to the definition is hidden by all three, with no second list to keep in step.
import { Writable } from 'node:stream'
import t from 'tap'
import { storableHeaders } from '../../src/intake/headers.js'
import { createLogger, REDACT_PATHS } from '../../src/logging.js'
import { logExcerpt } from '../../src/notify/mask.js'
import {
  isSecretHeader,
  SECRET_HEADER_NAMES,
  SECRET_KEYS,
  SECRET_NAME,
  SHAPE_HINT,
  TAMER_TOKEN_PREFIX,
  TOKEN_PATTERNS,
} from '../../src/security/secret-fields.js'

/** One example per token pattern, in TOKEN_PATTERNS' order: `text` as it may appear, `secret` the part that must go. */
const SAMPLES: { text: string; secret: string }[] = [
  { text: 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8', secret: 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8' },
  { text: 'github_pat_11ABCDEFG0123456789_abcdefghij', secret: 'github_pat_11ABCDEFG0123456789_abcdefghij' },
  { text: 'glpat-AbCdEfGhIjKlMnOpQrStUv', secret: 'glpat-AbCdEfGhIjKlMnOpQrStUv' },
  { text: 'glptt-0123456789abcdefghij0123', secret: 'glptt-0123456789abcdefghij0123' },
  { text: 'xoxb-1234567890-abcdefghij', secret: 'xoxb-1234567890-abcdefghij' },
  { text: 'xapp-1-A0123456789-abcdef', secret: 'xapp-1-A0123456789-abcdef' },
  { text: 'https://hooks.slack.com/services/T0001/B0001/slackpathsecret', secret: 'T0001/B0001/slackpathsecret' },
  { text: 'AKIAIOSFODNN7EXAMPLE', secret: 'AKIAIOSFODNN7EXAMPLE' },
  { text: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  { text: `${TAMER_TOKEN_PREFIX}AbCdEfGhIjKlMnOpQrStUvWx`, secret: 'AbCdEfGhIjKlMnOpQrStUvWx' },
  { text: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ', secret: 'c2lnbmF0dXJlLXBhcnQ' },
  {
    text: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAkeyMaterial\n-----END RSA PRIVATE KEY-----',
    secret: 'MIIEowIBAAKCAQEAkeyMaterial',
  },
  { text: 'cloning https://bot:userinfo-pass@git.example.com/acme/x.git', secret: 'userinfo-pass' },
  { text: 'Authorization: Bearer opaque-bearer-value', secret: 'opaque-bearer-value' },
  { text: 'password=hunter2hunter2', secret: 'hunter2hunter2' },
]

t.test('every token pattern has an example, and the quick look (SHAPE_HINT) lets each through', async (t) => {
  t.equal(SAMPLES.length, TOKEN_PATTERNS.length, 'one example per pattern: add one with a new pattern')
  for (const [i, re] of TOKEN_PATTERNS.entries()) {
    t.match(SAMPLES[i]!.text, new RegExp(re.source, re.flags.replace('g', '')), `pattern ${i} matches its example`)
    t.ok(SHAPE_HINT.test(SAMPLES[i]!.text), `SHAPE_HINT does not skip example ${i}`)
  }
})

t.test('the header names are one definition: redacted in logs and never stored', async (t) => {
  for (const name of SECRET_HEADER_NAMES) {
    t.ok(isSecretHeader(name) && SECRET_NAME.test(name), `${name} is a secret name`)
    t.ok(
      REDACT_PATHS.some((p) => p.startsWith('req.headers') && p.includes(name)),
      `${name} is redacted in request logs`,
    )
    t.notOk(name in storableHeaders({ [name]: 'x' }), `${name} is not stored`)
  }
  t.ok(isSecretHeader('X-Some-Vendor-Token'), 'a header is judged by its name, whatever its case')
  t.notOk(isSecretHeader('x-github-delivery'))
  for (const key of SECRET_KEYS) {
    t.ok(SECRET_NAME.test(key), `${key} is a secret name`)
    t.ok(REDACT_PATHS.includes(`*.${key}`), `${key} is redacted in logs`)
  }
})

t.test('every token shape is masked by all three users: log lines, stored headers, notices', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }))
  for (const { text, secret } of SAMPLES) {
    logger.info({ detail: text }, 'a line')
    const headers = storableHeaders({ 'x-build-note': text })
    t.notOk(headers['x-build-note']!.includes(secret), `stored header: ${secret}`)
    t.notOk(logExcerpt(`step 1\n${text}\nstep 2`, 10, []).includes(secret), `notice: ${secret}`)
  }
  await new Promise((resolve) => logger.flush(resolve))
  t.equal(lines.length, SAMPLES.length)
  for (const [i, line] of lines.entries())
    t.notOk(line.includes(JSON.stringify(SAMPLES[i]!.secret).slice(1, -1)), `log line: ${SAMPLES[i]!.secret}`)
})
