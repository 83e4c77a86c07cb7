/**
 * Where a native diff's memory goes, stage by stage, in this (fresh) process:
 *   node --import tsx bench/diff-stages.ts A B [--warm CORPUS_PAIR_DIR]
 * prints RSS, heap used, external and array buffers over the start, after reading the bytes,
 * parsing each notebook, diffing and serializing the JSON, and the peak RSS (issue #12 item 1).
 * --warm diffs another pair first, so the code is compiled before the start (what is left is the
 * pair's own); FLAGS='--flag …' are set at run time through v8.setFlagsFromString.
 */
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { diffNotebooks, parseNotebook } from '../src/notebooks/core/index.js'
import { keepYoungGenerationSmall } from '../src/engines/engine.js'

const [fileA, fileB] = process.argv.slice(2).filter((x, i, all) => !x.startsWith('--') && all[i - 1] !== '--warm')
if (!fileA || !fileB) throw new Error('usage: bench/diff-stages.ts A B')
keepYoungGenerationSmall()
for (const f of process.env['FLAGS']?.split(' ').filter(Boolean) ?? []) setFlagsFromString(f)
if (process.argv.includes('--warm')) {
  const w = process.argv[process.argv.indexOf('--warm') + 1]!
  diffNotebooks(parseNotebook(readFileSync(`${w}/a.ipynb`), 'a'), parseNotebook(readFileSync(`${w}/b.ipynb`), 'b'))
}
const mb = (x: number) => (x / 2 ** 20).toFixed(1).padStart(6)
const m0 = process.memoryUsage()
const peak = () => process.resourceUsage().maxRSS * 1024
const stage = (name: string) => {
  const m = process.memoryUsage()
  console.log(
    `${name.padEnd(14)} rss ${mb(m.rss - m0.rss)}  heap ${mb(m.heapUsed - m0.heapUsed)}  total ${mb(m.heapTotal - m0.heapTotal)}  ` +
      `external ${mb(m.external - m0.external)}  buffers ${mb(m.arrayBuffers - m0.arrayBuffers)}  peak ${mb(peak() - m0.rss)}`,
  )
}
const a = readFileSync(fileA)
const b = readFileSync(fileB)
console.log(`files ${mb(a.length + b.length)} MB`)
stage('read')
const na = parseNotebook(a, 'a')
stage('parse A')
const nb = parseNotebook(b, 'b')
stage('parse B')
const d = diffNotebooks(na, nb)
stage('diff')
const s = JSON.stringify(d, null, 2)
stage(`json ${mb(s.length)}`)
