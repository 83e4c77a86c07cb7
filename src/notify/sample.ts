// A made-up notice for `tamer notify test`: every section filled, so an operator sees the
// whole format on the real platform, and marked as a test (`[TEST]` in every title, a first line
// saying nothing failed) so nobody in a real team channel takes it for a broken build.
import type { Notice } from './model.js'

export function sampleNotice(): Notice {
  return {
    outcome: 'first-failure',
    tenant: 'default',
    repository: 'acme/sample-model',
    branch: 'main',
    job: 'tamer/notify-test',
    buildNumber: 1,
    buildUrl: 'https://jenkins.example.com/job/tamer/job/notify-test/1/',
    result: 'FAILURE',
    durationMs: 83_000,
    failingStage: 'Unit tests',
    range: { from: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', to: '4f9c2a1d0b6e8c7a5d3f1e2b9a8c7d6e5f4a3b2c' },
    commits: [
      {
        id: '4f9c2a1d0b6e8c7a5d3f1e2b9a8c7d6e5f4a3b2c',
        author: 'Ada Lovelace',
        email: 'ada@example.com',
        message: 'Retrain with the March data <b>(sample)</b>',
        url: null,
      },
    ],
    moreCommits: 0,
    pusher: 'ada',
    logExcerpt:
      '[Pipeline] { (Unit tests)\nFAILED tests/test_model.py::test_auc - assert 0.78 >= 0.8\nERROR: script returned exit code 1\nFinished: FAILURE',
    tests: { total: 42, failed: 1, skipped: 2 },
    failedTests: ['tests/test_model.py::test_auc'],
    metrics: [{ name: 'auc', value: '0.78', min: '0.8', max: null, ok: false }],
    notebookSummary:
      '### `notebooks/train.ipynb` (modified)\nCells: 0 added, 0 removed, 1 modified; outputs changed in 1 cell.\n- cell 3: `auc` 0.81 → 0.78',
    notebookSummaryText:
      'notebooks/train.ipynb (modified)\nCells: 0 added, 0 removed, 1 modified; outputs changed in 1 cell.\n- cell 3: auc 0.81 → 0.78',
    diffUrl: null,
    test: true,
  }
}
