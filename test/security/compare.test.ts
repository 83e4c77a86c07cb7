// The one constant-time compare (src/security/compare.ts): webhook signatures and tokens (providers/),
// API bearer tokens (http/auth.ts), Jenkins callbacks and signed links use it.
import t from 'tap'
import { equalConstantTime, matchToken, tokenMatches } from '../../src/security/compare.js'

t.test('equal bytes only; a length mismatch is false, never a throw', async (t) => {
  t.ok(equalConstantTime(Buffer.from('abc'), Buffer.from('abc')))
  t.notOk(equalConstantTime(Buffer.from('abc'), Buffer.from('abd')))
  t.notOk(equalConstantTime(Buffer.from('abc'), Buffer.from('abcd')), 'timingSafeEqual alone would throw here')
  t.notOk(equalConstantTime(Buffer.alloc(0), Buffer.from('a')))
})

t.test('tokens: any length against any length, answered per token', async (t) => {
  t.same(matchToken('two', ['one', 'two', 'a-much-longer-token']), [false, true, false])
  t.ok(tokenMatches('a-much-longer-token', ['x', 'a-much-longer-token']))
  t.notOk(tokenMatches('', ['x']))
  t.notOk(tokenMatches('x', []))
})
