/**
 * Parity with the real nbdime 4.0.4: every generated pair is diffed by `nbdiff --out` and by
 * Tamer, and the JSON must be equal. CI installs nbdime (`pip install nbdime==4.0.4`); without
 * `nbdiff` on PATH this test fails under CI and is skipped elsewhere.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { diffNotebooks, parseNotebook } from '../../src/notebooks/index.js';
import type { DiffEntry } from '../../src/notebooks/index.js';
import { type Pair, randomPairs, scenarios } from './fixtures.js';
import { cellOps, flagsToOptions, maskIds, nbdiff, nbdiffBatch, nbdiffVersion } from './nbdime.js';

const version = await nbdiffVersion();
if (version !== 'nbdiff 4.0.4') {
  const why = version ? `found "${version}"` : 'nbdiff is not on PATH';
  if (process.env.CI) t.fail(`nbdime 4.0.4 is required for parity tests (${why}); install it with: pip install nbdime==4.0.4`);
  else t.test('parity with nbdime', { skip: `${why} (pip install nbdime==4.0.4)` }, async () => {});
} else {
  const text = (x: Pair['a']) => (typeof x === 'string' ? x : JSON.stringify(x, null, 1) + '\n');
  const ours = (p: Pair, a: string, b: string): DiffEntry[] =>
    diffNotebooks(parseNotebook(a, 'a.ipynb'), parseNotebook(b, 'b.ipynb'), flagsToOptions(p.flags ?? []));

  const pairs = [...scenarios(), ...randomPairs(60, 1)];
  const refs = new Map<string, DiffEntry[]>();
  const batch = await nbdiffBatch(pairs.map((p) => ({ a: text(p.a), b: text(p.b), flags: p.flags ?? [] })));
  pairs.forEach((p, k) => refs.set(p.name, batch[k] as DiffEntry[]));

  // The real executable, as CI and the wrapper run it, on a few pairs: same answer as the batch.
  const viaCli = ['edit-markdown-words', 'move-cell-with-ids', 'unicode-astral', 'flags[-O]', 'v3-vs-v4.4'];
  await Promise.all(
    viaCli.map(async (name) => {
      const p = pairs.find((x) => x.name === name) as Pair;
      t.same(await nbdiff(text(p.a), text(p.b), p.flags), refs.get(name), `${name}: nbdiff CLI agrees with the batch run`);
    }),
  );

  let exact = 0;
  let cellLevel = 0;
  for (const p of pairs) {
    const a = text(p.a);
    const b = text(p.b);
    const ref = refs.get(p.name) as DiffEntry[];
    const got = ours(p, a, b);
    const norm = (d: DiffEntry[]) => (p.randomIds ? maskIds(d) : d);
    if (JSON.stringify(norm(got)) === JSON.stringify(norm(ref))) exact++;
    if (JSON.stringify(cellOps(got)) === JSON.stringify(cellOps(ref))) cellLevel++;
    t.same(cellOps(got), cellOps(ref), `${p.name}: same cells inserted/deleted/patched`);
    t.same(norm(got), norm(ref), `${p.name}: same JSON diff as nbdime`);
  }
  t.comment(`parity: ${exact}/${pairs.length} exact, ${cellLevel}/${pairs.length} at cell level`);

  // The shared corpus of real notebook pairs, when this machine has it.
  const corpus = fileURLToPath(new URL('../../../shared/corpus/notebooks/', import.meta.url));
  if (existsSync(corpus)) {
    for (const entry of await readdir(corpus, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = `${corpus}${entry.name}/`;
      const refFile = ['nbdime.diff.json', 'nbdime-main.diff.json'].map((f) => dir + f).find(existsSync);
      if (!refFile || !existsSync(dir + 'a.ipynb') || !existsSync(dir + 'b.ipynb')) continue;
      const a = await readFile(dir + 'a.ipynb', 'utf8');
      const b = await readFile(dir + 'b.ipynb', 'utf8');
      const ref = JSON.parse(await readFile(refFile, 'utf8')) as DiffEntry[];
      const got = diffNotebooks(parseNotebook(a, 'a.ipynb'), parseNotebook(b, 'b.ipynb'));
      const random = hasRandomIds(a) || hasRandomIds(b);
      t.same(random ? maskIds(got) : got, random ? maskIds(ref) : ref, `corpus ${entry.name}`);
    }
  }
}

/** nbformat invents random ids for v3 notebooks and for ≥4.5 cells without (unique) ids. */
function hasRandomIds(text: string): boolean {
  const nb = JSON.parse(text) as { nbformat?: number; nbformat_minor?: number; cells?: { id?: string }[] };
  if ((nb.nbformat ?? 1) < 4) return true;
  if ((nb.nbformat_minor ?? 0) < 5) return false;
  const ids = (nb.cells ?? []).map((c) => c.id);
  return ids.some((id) => id === undefined) || new Set(ids).size !== ids.length;
}
