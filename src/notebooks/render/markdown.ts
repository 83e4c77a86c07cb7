/**
 * A Markdown summary for mails, chat and PR comments: per notebook the counts of added, removed
 * and modified cells and of cells with changed outputs, then the most telling changes first —
 * new errors, printed numbers that moved (a metric), re-drawn plots, edited sources — cut to a
 * size budget with "… and N more".
 */
import type { Cell, DiffDegradation, DiffEntry, JsonObject, JsonValue, Notebook } from '../core/model.js';
import { DEGRADED_HEADING, describeDegradation } from './degraded.js';
import { stripAnsi } from './safe.js';
import { entryFor, leafChanges, lineText, pairCells, pairSequence, summarize, type Paired } from './view.js';

export interface MarkdownOptions {
  /** Maximum characters of the whole summary (default 3,000; chat tools cut longer messages). */
  budget?: number;
  /** Most changes listed per notebook (default 8). */
  perNotebook?: number;
}

interface Finding {
  score: number;
  text: string;
}

export function renderNotebookSummaryMarkdown(name: string, base: Notebook, diff: readonly DiffEntry[], options: MarkdownOptions = {}, degraded: readonly DiffDegradation[] = []): string {
  return fitBudget([notebookBlock(name, 'modified', base, diff, options.perNotebook ?? 8, degraded)], options.budget ?? 3000);
}

/** One notebook's block: heading, counts, the most telling changes (also in a push's summary, diffs/summary.ts). */
export function notebookBlock(name: string, status: string, base: Notebook, diff: readonly DiffEntry[], per: number, degraded: readonly DiffDegradation[] = []): string {
  const s = summarize(base, diff);
  const counts = [
    `${s.cellsAdded} added`, `${s.cellsRemoved} removed`, `${s.cellsModified} modified`,
  ].join(', ');
  const lines = [`### \`${code(name)}\` (${status})`, `Cells: ${counts}; outputs changed in ${s.outputsChanged} cell${s.outputsChanged === 1 ? '' : 's'}${s.metadataChanged ? '; notebook metadata changed' : ''}.`];
  if (degraded.length) lines.push(`_${DEGRADED_HEADING}: ${degraded.map((d) => md(describeDegradation(d))).join('; ')}._`);
  const findings = pairCells(base, diff).flatMap(findingsOf).sort((x, y) => y.score - x.score);
  for (const f of findings.slice(0, per)) lines.push(`- ${f.text}`);
  if (findings.length > per) lines.push(`- … and ${findings.length - per} more change${findings.length - per === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function findingsOf(c: Paired<Cell>): Finding[] {
  const where = c.status === 'added' ? `new cell ${c.bIndex! + 1}` : `cell ${c.aIndex! + 1}`;
  const cell = (c.b ?? c.a)!;
  if (c.status === 'added' || c.status === 'removed') {
    const first = firstLine(String(cell.source ?? ''));
    const errors = ((cell['outputs'] ?? []) as JsonObject[]).filter((o) => o['output_type'] === 'error');
    const out: Finding[] = [{ score: 2, text: `${c.status === 'added' ? 'added' : 'removed'} ${cell.cell_type} ${where}${first ? `: \`${code(first)}\`` : ''}` }];
    if (c.status === 'added') for (const e of errors) out.push({ score: 9, text: `${where} raises ${errorText(e)}` });
    return out;
  }
  if (c.status !== 'modified') return [];
  const out: Finding[] = [];
  const outputs = entryFor(c.diff, 'outputs');
  if (outputs?.op === 'patch') {
    for (const p of pairSequence((c.a!['outputs'] ?? []) as JsonObject[], outputs.diff)) out.push(...outputFindings(p, where));
  }
  const src = entryFor(c.diff, 'source');
  if (src?.op === 'patch') {
    const changes = leafChanges(c.a, [src])[0];
    const rows = changes?.rows?.filter((r) => r.kind !== 'same') ?? [];
    const sample = rows.find((r) => r.kind === 'mod' || r.kind === 'add');
    const shown = sample ? (sample.kind === 'mod' ? lineText(sample.b) : sample.text) : '';
    out.push({ score: 3, text: `${where}: source edited (${rows.length} line${rows.length === 1 ? '' : 's'})${shown.trim() ? `, e.g. \`${code(firstLine(shown))}\`` : ''}` });
  }
  return out;
}

function outputFindings(p: Paired<JsonObject>, where: string): Finding[] {
  const o = (p.b ?? p.a)!;
  const type = o['output_type'];
  if (type === 'error' && p.status === 'added') return [{ score: 9, text: `${where} now raises ${errorText(o)}` }];
  if (type === 'error' && p.status === 'removed') return [{ score: 6, text: `${where} no longer raises ${errorText(o)}` }];
  const data = (o['data'] ?? {}) as JsonObject;
  if ((p.status === 'added' || p.status === 'removed') && ('image/png' in data || 'image/jpeg' in data)) return [{ score: p.status === 'added' ? 4 : 1, text: `${where}: plot ${p.status === 'added' ? 're-drawn / added' : 'removed'}` }];
  if (p.status !== 'modified') return p.status === 'added' ? [{ score: 2, text: `${where}: new ${String(type)} output` }] : [];
  const found: Finding[] = [];
  for (const leaf of leafChanges(p.a as JsonValue, p.diff ?? [])) {
    for (const r of leaf.rows ?? []) {
      if (r.kind !== 'mod') continue;
      const move = numberMove(lineText(r.a), lineText(r.b));
      if (move) found.push({ score: 8, text: `${where}: \`${code(move.label)}\` ${move.from} → ${move.to}` });
    }
  }
  return found.length ? found : [{ score: 5, text: `${where}: ${String(type)} output changed` }];
}

const NUMBER = /[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?/g;

/** "accuracy: 0.91" → "accuracy: 0.93": same words, different numbers. */
export function numberMove(a: string, b: string): { label: string; from: string; to: string } | null {
  const sa = stripAnsi(a).trim();
  const sb = stripAnsi(b).trim();
  if (sa.replace(NUMBER, '#') !== sb.replace(NUMBER, '#')) return null;
  const na = sa.match(NUMBER) ?? [];
  const nb = sb.match(NUMBER) ?? [];
  const k = na.findIndex((x, i) => x !== nb[i]);
  if (k < 0) return null;
  const label = sa.slice(0, sa.indexOf(na[k]!)).replace(/[\s:=]+$/, '') || sa;
  return { label: label.slice(-60), from: na.filter((x, i) => x !== nb[i]).join(', '), to: nb.filter((x, i) => x !== na[i]).join(', ') };
}

const errorText = (o: JsonObject) => `\`${code(`${String(o['ename'] ?? 'Error')}: ${String(o['evalue'] ?? '')}`)}\``;
const firstLine = (s: string) => stripAnsi(s).split('\n').find((l) => l.trim()) ?? '';
/** Inline code content: no backticks, no newlines, bounded. */
export const code = (s: string) => {
  const one = stripAnsi(s).replace(/`/g, "'").replace(/\s+/g, ' ').trim();
  return one.length > 100 ? `${one.slice(0, 99)}…` : one;
};
/** Text with Markdown's markup characters escaped. */
export const md = (s: string) => stripAnsi(s).replace(/([\\`*_[\]<>#|])/g, '\\$1');

/** Blocks joined until the budget, then cut at a line with "… more changes not shown". */
export function fitBudget(blocks: string[], budget: number): string {
  const out: string[] = [];
  let used = 0;
  for (const [k, b] of blocks.entries()) {
    const rest = blocks.length - k;
    if (used + b.length + 2 > budget - 40) {
      // Cut a block at a line boundary rather than dropping it whole.
      const lines = b.split('\n');
      const kept: string[] = [];
      for (const l of lines) if (used + kept.join('\n').length + l.length + 3 < budget - 40) kept.push(l);
      if (kept.length) out.push(kept.join('\n'));
      out.push(`_… ${rest - (kept.length ? 1 : 0) > 0 ? `${rest - (kept.length ? 1 : 0)} more file(s) and ` : ''}more changes not shown_`);
      break;
    }
    out.push(b);
    used += b.length + 2;
  }
  return out.join('\n\n') + '\n';
}
