// The demo's sample repository: a real git repository in a temp dir whose notebook changes between
// two commits (a retrain that moves the AUC below the gate), pushed to a bare repository that the
// demo's git server serves as `<root>/<fullName>.git`, where `git.hosts` derives it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { execa } from 'execa'

/** Who made the commits (the failure mail goes to her as a culprit). */
export const SAMPLE_AUTHOR = { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' }

export const NOTEBOOK_PATH = 'notebooks/churn.ipynb'

export interface SampleCommit {
  id: string
  message: string
  timestamp: string
  added: string[]
  modified: string[]
  removed: string[]
}

export interface SampleRepo {
  fullName: string
  /** The commit before the push and the pushed one. */
  before: string
  after: string
  /** The pushed commits (one), as the push webhook lists them. */
  commits: SampleCommit[]
}

const ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: SAMPLE_AUTHOR.name,
  GIT_AUTHOR_EMAIL: SAMPLE_AUTHOR.email,
  GIT_COMMITTER_NAME: SAMPLE_AUTHOR.name,
  GIT_COMMITTER_EMAIL: SAMPLE_AUTHOR.email,
}

type Output = Record<string, unknown>
const lines = (text: string) => text.split(/(?<=\n)/)
const markdown = (id: string, source: string) => ({ cell_type: 'markdown', id, metadata: {}, source: lines(source) })
const code = (id: string, n: number, source: string, outputs: Output[]) => ({
  cell_type: 'code',
  id,
  execution_count: n,
  metadata: {},
  source: lines(source),
  outputs,
})
const stream = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text: lines(text) })
const result = (n: number, text: string): Output => ({
  output_type: 'execute_result',
  execution_count: n,
  data: { 'text/plain': lines(text) },
  metadata: {},
})

function notebook(cells: unknown[]): string {
  const nb = {
    cells,
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python', version: '3.12.7' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  }
  return `${JSON.stringify(nb, null, 1)}\n`
}

const INTRO = markdown('intro', '# Churn model\nA gradient-boosted classifier of which customers leave next month.')

const FIRST = notebook([
  INTRO,
  code('load', 1, "df = pd.read_csv('data/customers-2026-10.csv')\ndf.shape", [result(1, '(12000, 18)')]),
  code(
    'train',
    2,
    'model = GradientBoostingClassifier(n_estimators=100, max_depth=3)\nmodel.fit(X_train, y_train)\n' +
      "auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])\nprint(f'AUC: {auc:.3f}')",
    [stream('AUC: 0.812\n')],
  ),
])

const SECOND = notebook([
  INTRO,
  code('load', 1, "df = pd.read_csv('data/customers-2026-11.csv')\ndf.shape", [result(1, '(14250, 18)')]),
  code(
    'train',
    2,
    'model = GradientBoostingClassifier(n_estimators=300, max_depth=6, learning_rate=0.2)\n' +
      "model.fit(X_train, y_train)\nauc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])\nprint(f'AUC: {auc:.3f}')",
    [stream('AUC: 0.784\n')],
  ),
  code('gate', 3, "assert auc >= 0.8, f'AUC {auc:.3f} is below the 0.8 gate'", [
    {
      output_type: 'error',
      ename: 'AssertionError',
      evalue: 'AUC 0.784 is below the 0.8 gate',
      traceback: ['AssertionError: AUC 0.784 is below the 0.8 gate'],
    },
  ]),
])

const TEST = `from churn import evaluate\n\ndef test_auc_gate():\n    assert evaluate() >= 0.8\n`

/** Makes the repository under `root` (a work tree and the bare `<root>/<fullName>.git`) and pushes both commits. */
export async function makeSampleRepo(root: string, fullName = 'demo/churn-model'): Promise<SampleRepo> {
  const bare = join(root, `${fullName}.git`)
  const work = join(root, 'work')
  const git = async (...args: string[]) => (await execa('git', args, { cwd: work, env: ENV })).stdout
  const write = (files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true })
      writeFileSync(join(work, path), text)
    }
  }
  mkdirSync(dirname(bare), { recursive: true })
  await execa('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare], { env: ENV })
  // What GitHub allows: partial clones, and fetching a commit by id.
  await execa('git', ['-C', bare, 'config', 'uploadpack.allowFilter', 'true'], { env: ENV })
  await execa('git', ['-C', bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true'], { env: ENV })
  mkdirSync(work, { recursive: true })
  await execa('git', ['init', '--quiet', '--initial-branch=main', work], { env: ENV })

  write({ 'README.md': '# churn-model\n', [NOTEBOOK_PATH]: FIRST, 'tests/test_model.py': TEST })
  await git('add', '--all')
  await git('commit', '--quiet', '-m', 'Churn model on the October data')
  const before = await git('rev-parse', 'HEAD')

  const message = 'Retrain on the November data with deeper trees\n\nAdds the AUC gate to the notebook.'
  write({ [NOTEBOOK_PATH]: SECOND })
  await git('add', '--all')
  await git('commit', '--quiet', '-m', message)
  const after = await git('rev-parse', 'HEAD')
  const timestamp = await git('show', '-s', '--format=%aI', 'HEAD')
  await git('push', '--quiet', bare, 'main:main')

  return {
    fullName,
    before,
    after,
    commits: [{ id: after, message, timestamp, added: [], modified: [NOTEBOOK_PATH], removed: [] }],
  }
}
