// The parity comparison (src/parity/compare.ts) and the package-version diff (packages.ts): examples of
// each reason, and properties over generated prediction tables (fixed seed, printed by runs()).
import * as fc from 'fast-check'
import t from 'tap'
import { compareParity, MAX_DIFFERENCES, readCsv, type Table } from '../../src/parity/compare.js'
import { diffPackages, readPackages } from '../../src/parity/packages.js'
import { runs } from '../support/properties.js'

const table = (text: string): Table => {
  const r = readCsv(text)
  if ('error' in r) throw new Error(r.error)
  return r
}
const spec = { scores: { proba: 1e-6 }, key: 'id' }
const REF = 'id,label,proba\n1,churn,0.91\n2,stay,0.12\n3,stay,0.40\n'

t.test('examples: the same, within tolerance, a label, a score, rows, order, columns, not numbers', async (t) => {
  t.same(compareParity(table(REF), table(REF), spec).reasons, [])
  t.ok(compareParity(table(REF), table(REF.replace('0.91', '0.9100004')), spec).pass, 'within the tolerance')
  t.ok(compareParity(table(REF), table(REF.replace('0.12', '1.2e-1')), spec).pass, 'the same number written otherwise')

  let c = compareParity(table(REF), table(REF.replace('2,stay', '2,churn')), spec)
  t.notOk(c.pass)
  t.same(c.reasons, ['label: 1 of 3 rows differ'])
  t.same(c.differences, [{ row: 2, key: '2', column: 'label', expected: 'stay', actual: 'churn', diff: null }])

  c = compareParity(table(REF), table(REF.replace('0.91', '0.93').replace('0.40', '0.41')), spec)
  t.same(c.reasons, ['proba: 2 of 3 rows differ by more than 1e-6 (largest 0.02)'])
  t.same(
    c.differences.map((d) => [d.row, d.diff !== null && Number(d.diff.toFixed(6))]),
    [
      [1, 0.02],
      [3, 0.01],
    ],
    'the largest difference first',
  )
  t.match(c.columns, [
    { name: 'id', kind: 'label' },
    { name: 'label' },
    { name: 'proba', kind: 'score', mismatches: 2 },
  ])

  c = compareParity(table(REF), table('id,label,proba\n1,churn,0.91\n2,stay,0.12\n'), spec)
  t.same(c.rows, { reference: 3, image: 2 })
  t.same(c.reasons, ['row count: 3 in the reference, 2 from the image'], 'a clear mismatch, the common rows compared')

  c = compareParity(table(REF), table('id,label,proba\n2,stay,0.12\n1,churn,0.91\n3,stay,0.40\n'), spec)
  t.match(c.reasons[0], 'the rows are in another order (by id): row 1 is "2", the reference has "1"')

  c = compareParity(table(REF), table('id,label\n1,churn\n2,stay\n3,stay\n'), spec)
  t.same(c.reasons, ['the image\'s predictions have no column "proba"'])

  c = compareParity(table(REF), table(REF.replace('0.12', 'n/a')), spec)
  t.same(c.reasons, ['proba: 1 of 3 rows differ by more than 1e-6; some values are not numbers'])
  t.same(c.differences[0], { row: 2, key: '2', column: 'proba', expected: '0.12', actual: 'n/a', diff: null })

  c = compareParity(table(REF), table(REF), { scores: { score: 0.1 }, key: 'row_id' })
  t.same(c.reasons, ['score column "score" is not in the reference', 'key column "row_id" is not in the reference'])

  t.match(readCsv('a,b\n1,2,3\n'), { error: /^not valid CSV: / }, 'a ragged row is named, not thrown')
  t.match(readCsv(''), { error: 'it is empty (no header row)' })
  t.match(readCsv('a,a\n1,2\n'), { error: 'the header names column "a" twice' })
  t.same(readCsv('\ufeffa,"b,c"\r\n1,"x\ny"\r\n'), { header: ['a', 'b,c'], rows: [['1', 'x\ny']] }, 'BOM, quotes')
})

// A reference table: an id, a label and two score columns.
const refTable = fc
  .array(
    fc.record({
      label: fc.constantFrom('churn', 'stay', 'maybe'),
      p: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      q: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((rows): Table => ({
    header: ['id', 'label', 'p', 'q'],
    rows: rows.map((r, i) => [String(i + 1), r.label, String(r.p), String(r.q)]),
  }))
const SPEC = { scores: { p: 1e-3, q: 1e-3 }, key: 'id' }

t.test('properties', async (t) => {
  fc.assert(
    fc.property(refTable, (ref) => compareParity(ref, ref, SPEC).pass),
    runs(t, 200),
  )
  // Noise within the tolerance passes; one cell beyond it fails, and that cell is the largest difference.
  fc.assert(
    fc.property(refTable, fc.nat(), fc.double({ min: 0.01, max: 100, noNaN: true }), (ref, pick, delta) => {
      const jitter = (v: string) => String(Number(v) + 1e-4)
      const img: Table = { header: ref.header, rows: ref.rows.map((r) => [r[0]!, r[1]!, jitter(r[2]!), r[3]!]) }
      if (!compareParity(ref, img, SPEC).pass) return false
      const row = pick % ref.rows.length
      img.rows[row]![3] = String(Number(ref.rows[row]![3]) + delta)
      const c = compareParity(ref, img, SPEC)
      return !c.pass && c.differences[0]!.row === row + 1 && c.differences[0]!.column === 'q'
    }),
    runs(t, 200),
  )
  // Dropping or adding rows always fails on the row count, never throws.
  fc.assert(
    fc.property(
      refTable,
      fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0),
      (ref, n) => {
        const rows =
          n < 0 ? ref.rows.slice(0, Math.max(0, ref.rows.length + n)) : [...ref.rows, ...ref.rows.slice(0, n)]
        if (rows.length === ref.rows.length) return true
        const c = compareParity(ref, { header: ref.header, rows }, SPEC)
        return !c.pass && c.reasons.some((r) => r.startsWith('row count:')) && c.differences.length <= MAX_DIFFERENCES
      },
    ),
    runs(t, 200),
  )
  // Whatever text the image writes: a verdict or a named CSV error, never an exception.
  fc.assert(
    fc.property(refTable, fc.string({ maxLength: 300 }), (ref, text) => {
      const img = readCsv(text)
      if ('error' in img) return typeof img.error === 'string'
      return typeof compareParity(ref, img, SPEC).pass === 'boolean'
    }),
    runs(t, 300),
  )
})

t.test('package versions: pip freeze, a lock with hashes, conda list, PEP 503 names', async (t) => {
  const dev = readPackages(
    [
      '# pip freeze of the dev laptop',
      'numpy==1.26.4',
      'Scikit_Learn==1.4.2 \\',
      '    --hash=sha256:abc',
      'pandas===2.2.1 ; python_version >= "3.9"',
      'mylib @ git+https://example.com/mylib@v1',
      '-e .',
    ].join('\n'),
  )
  t.same(Object.fromEntries(dev), {
    numpy: '1.26.4',
    'scikit-learn': '1.4.2',
    pandas: '2.2.1',
    mylib: '@ git+https://example.com/mylib@v1',
  })
  const image = readPackages('numpy==1.26.4\nscikit-learn==1.5.0\npandas==2.2.1\nscipy==1.13.0\n')
  t.same(diffPackages(dev, image), [
    { name: 'scikit-learn', dev: '1.4.2', image: '1.5.0' },
    { name: 'mylib', dev: '@ git+https://example.com/mylib@v1', image: null },
    { name: 'scipy', dev: null, image: '1.13.0' },
  ])
  const secretRef = readPackages('priv @ git+https://ghp_TOKEN123@github.com/acme/priv@v2\nx @ https://u:pw@h/x.whl\n')
  t.same(Object.fromEntries(secretRef), { priv: '@ git+https://github.com/acme/priv@v2', x: '@ https://h/x.whl' })
  const conda = readPackages(
    '# packages in environment at /opt/conda:\n#\n# Name Version Build Channel\nnumpy  1.26.4  py311h  conda-forge\n',
  )
  t.same(Object.fromEntries(conda), { numpy: '1.26.4' })
})
