// Payloads in the shapes the hosts document (field names and nesting as in their docs'
// examples). The shared corpus of real deliveries is used where present (corpus.test.ts).
export const SHA_A = '6113728f27ae82c7b1a177c8d03f9e96e0adf246'
export const SHA_B = '4f9c2a1d0b6e8c7a5d3f1e2b9a8c7d6e5f4a3b2c'
export const SHA_C = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7'
export const ZERO = '0000000000000000000000000000000000000000'

export function githubPush(over: Record<string, unknown> = {}) {
  return {
    ref: 'refs/heads/main',
    before: SHA_A,
    after: SHA_B,
    repository: {
      id: 186853002,
      name: 'churn-model',
      full_name: 'acme-ds/churn-model',
      private: true,
      owner: { name: 'acme-ds', login: 'acme-ds' },
      html_url: 'https://github.com/acme-ds/churn-model',
      url: 'https://github.com/acme-ds/churn-model',
      git_url: 'git://github.com/acme-ds/churn-model.git',
      ssh_url: 'git@github.com:acme-ds/churn-model.git',
      clone_url: 'https://github.com/acme-ds/churn-model.git',
      default_branch: 'main',
      master_branch: 'main',
    },
    pusher: { name: 'ada', email: 'ada@example.com' },
    sender: { login: 'ada', id: 21031067, type: 'User' },
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/acme-ds/churn-model/compare/${SHA_A.slice(0, 12)}...${SHA_B.slice(0, 12)}`,
    commits: [
      {
        id: SHA_B,
        tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
        distinct: true,
        message: 'Retrain with the March data\n\nAUC 0.81 -> 0.84',
        timestamp: '2026-11-20T10:15:40+01:00',
        url: `https://github.com/acme-ds/churn-model/commit/${SHA_B}`,
        author: { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' },
        committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
        added: ['notebooks/eval.ipynb'],
        removed: [],
        modified: ['notebooks/train.ipynb', 'requirements.txt'],
      },
    ],
    head_commit: { id: SHA_B },
    ...over,
  }
}

/** A 2012-era push: no full_name/clone_url, `url` is the HTML URL, forced set on creation. */
export function githubLegacyPush() {
  return {
    ref: 'refs/heads/feature',
    before: ZERO,
    after: SHA_C,
    created: true,
    deleted: false,
    forced: true,
    repository: {
      name: 'testing',
      url: 'https://github.com/octokitty/testing',
      owner: { name: 'octokitty', email: 'octokitty@example.com' },
      master_branch: 'master',
    },
    pusher: { name: 'octokitty', email: 'octokitty@example.com' },
    commits: [
      {
        id: SHA_C,
        message: 'Test',
        timestamp: '2013-02-22T13:50:07-08:00',
        url: `https://github.com/octokitty/testing/commit/${SHA_C}`,
        author: { name: 'Garen Torikian', email: 'garen@example.com', username: 'octokitty' },
        added: ['words/madame-bovary.txt'],
        removed: [],
        modified: [],
      },
    ],
  }
}

export function githubPing() {
  return {
    zen: 'Design for failure.',
    hook_id: 292430182,
    hook: {
      type: 'Repository',
      id: 292430182,
      active: true,
      events: ['push', 'pull_request'],
      config: { content_type: 'json', secret: '********', url: 'https://tamer.example.com/hooks/github' },
    },
    repository: { full_name: 'acme-ds/churn-model' },
    sender: { login: 'ada' },
  }
}

export function githubPullRequest(action: string, merged = false) {
  return {
    action,
    number: 42,
    pull_request: {
      number: 42,
      title: 'Feature engineering: tenure buckets',
      html_url: 'https://github.com/acme-ds/churn-model/pull/42',
      merged,
      user: { login: 'grace' },
      head: {
        ref: 'tenure-buckets',
        sha: SHA_C,
        repo: { full_name: 'grace/churn-model', clone_url: 'https://github.com/grace/churn-model.git' },
      },
      base: { ref: 'main', sha: SHA_A, repo: { full_name: 'acme-ds/churn-model' } },
    },
    repository: githubPush().repository,
    sender: { login: 'grace' },
  }
}

export function gitlabPush(over: Record<string, unknown> = {}) {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: SHA_A,
    after: SHA_B,
    ref: 'refs/heads/master',
    checkout_sha: SHA_B,
    user_id: 4,
    user_name: 'John Smith',
    user_username: 'jsmith',
    user_email: '[REDACTED]',
    project_id: 15,
    project: {
      id: 15,
      name: 'Diaspora',
      web_url: 'https://gitlab.example.com/mike/diaspora',
      git_ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
      git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
      namespace: 'Mike',
      path_with_namespace: 'mike/diaspora',
      default_branch: 'master',
    },
    repository: {
      name: 'Diaspora',
      url: 'git@gitlab.example.com:mike/diaspora.git',
      homepage: 'https://gitlab.example.com/mike/diaspora',
      git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
      git_ssh_url: 'git@gitlab.example.com:mike/diaspora.git',
    },
    commits: [
      {
        id: SHA_C,
        message: 'Update Catalan translation to e38cb41.\n',
        title: 'Update Catalan translation to e38cb41.',
        timestamp: '2011-12-12T14:27:31+02:00',
        url: `https://gitlab.example.com/mike/diaspora/commit/${SHA_C}`,
        author: { name: 'Jordi Mallach', email: 'jordi@softcatala.org' },
        added: ['CHANGELOG'],
        modified: ['app/controller/application.rb'],
        removed: [],
      },
      {
        id: SHA_B,
        message: 'fixed readme',
        title: 'fixed readme',
        timestamp: '2012-01-03T23:36:29+02:00',
        url: `https://gitlab.example.com/mike/diaspora/commit/${SHA_B}`,
        author: { name: 'GitLab dev user', email: 'gitlabdev@dv6700.(none)' },
        added: ['CHANGELOG'],
        modified: ['app/controller/application.rb'],
        removed: [],
      },
    ],
    total_commits_count: 4,
    ...over,
  }
}

/** System hooks: `event_name` without `object_kind`, commits without file lists. */
export function gitlabSystemHookPush() {
  const p = gitlabPush({ total_commits_count: 1 }) as Record<string, unknown>
  delete p.object_kind
  p.commits = [
    {
      id: SHA_B,
      message: 'Add simple search to projects in public area',
      timestamp: '2013-05-13T18:18:08+00:00',
      url: `https://gitlab.example.com/mike/diaspora/commit/${SHA_B}`,
      author: { name: 'Example User', email: 'user@example.com' },
    },
  ]
  return p
}

export function gitlabMergeRequest(action: string) {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, name: 'Administrator', username: 'root', email: 'admin@example.com' },
    project: gitlabPush().project,
    object_attributes: {
      id: 99,
      iid: 1,
      title: 'MS-Viewport',
      source_branch: 'ms-viewport',
      target_branch: 'master',
      state: 'opened',
      action,
      url: 'https://gitlab.example.com/mike/diaspora/-/merge_requests/1',
      last_commit: { id: SHA_C, message: 'fixed readme' },
      source: {
        path_with_namespace: 'awesome_space/awesome_project',
        git_http_url: 'https://gitlab.example.com/awesome_space/awesome_project.git',
      },
      target: { path_with_namespace: 'mike/diaspora', web_url: 'https://gitlab.example.com/mike/diaspora' },
    },
  }
}

const bbCloudRepository = {
  type: 'repository',
  full_name: 'acme-ds/forecast',
  name: 'forecast',
  uuid: '{7ae0a0d4-1d4a-4b7e-9a3c-2b1f2d1c5e66}',
  links: { html: { href: 'https://bitbucket.org/acme-ds/forecast' } },
  mainbranch: { type: 'branch', name: 'main' },
}

const bbCloudActor = {
  display_name: 'Emma Noether',
  nickname: 'emma',
  type: 'user',
  uuid: '{1d3e5f7a-0b2c-4d6e-8f0a-1b2c3d4e5f60}',
}

export function bitbucketCloudPush(changes: unknown[]) {
  return { push: { changes }, repository: bbCloudRepository, actor: bbCloudActor }
}

export function bbCloudChange(opts: {
  name: string
  type?: string
  old?: string | null
  new?: string | null
  commits?: number
  forced?: boolean
}) {
  const ref = (hash: string) => ({
    type: opts.type ?? 'branch',
    name: opts.name,
    target: { type: 'commit', hash, date: '2026-11-20T09:12:01+00:00' },
  })
  const commits = Array.from({ length: opts.commits ?? 0 }, (_, i) => ({
    hash: `${i}`.padStart(40, 'c'),
    message: `Commit ${i}\n`,
    date: '2026-11-20T09:12:01+00:00',
    author: { raw: 'Emma Noether <emma@example.com>', user: { display_name: 'Emma Noether', nickname: 'emma' } },
    links: { html: { href: `https://bitbucket.org/acme-ds/forecast/commits/${i}` } },
  }))
  return {
    old: opts.old === null ? null : ref(opts.old ?? SHA_A),
    new: opts.new === null ? null : ref(opts.new ?? SHA_B),
    created: opts.old === null,
    closed: opts.new === null,
    forced: opts.forced ?? false,
    truncated: (opts.commits ?? 0) >= 5,
    commits,
  }
}

export function bitbucketCloudPullRequest() {
  return {
    pullrequest: {
      id: 7,
      title: 'Seasonality features',
      author: bbCloudActor,
      source: {
        branch: { name: 'seasonality' },
        commit: { hash: 'e4f5a6b7c8d9' },
        repository: { full_name: 'emma/forecast' },
      },
      destination: {
        branch: { name: 'main' },
        commit: { hash: 'a1b2c3d4e5f6' },
        repository: { full_name: 'acme-ds/forecast' },
      },
      links: { html: { href: 'https://bitbucket.org/acme-ds/forecast/pull-requests/7' } },
      state: 'OPEN',
    },
    repository: bbCloudRepository,
    actor: bbCloudActor,
  }
}

const bbServerRepository = (withLinks: boolean) => ({
  slug: 'fraud-model',
  id: 84,
  name: 'fraud-model',
  scmId: 'git',
  project: { key: 'DS', id: 21, name: 'Data Science', type: 'NORMAL' },
  ...(withLinks
    ? {
        links: {
          clone: [
            { href: 'ssh://git@bitbucket.example.com:7999/ds/fraud-model.git', name: 'ssh' },
            { href: 'https://bitbucket.example.com/scm/ds/fraud-model.git', name: 'http' },
          ],
          self: [{ href: 'https://bitbucket.example.com/projects/DS/repos/fraud-model/browse' }],
        },
      }
    : {}),
})

const bbServerActor = {
  name: 'admin',
  emailAddress: 'admin@example.com',
  id: 1,
  displayName: 'Administrator',
  slug: 'admin',
  type: 'NORMAL',
}

export function bitbucketServerRefsChanged(opts: { links?: boolean; changes?: unknown[]; commits?: unknown[] } = {}) {
  return {
    eventKey: 'repo:refs_changed',
    date: '2026-11-20T09:12:01+0000',
    actor: bbServerActor,
    repository: bbServerRepository(opts.links ?? true),
    changes: opts.changes ?? [
      {
        ref: { id: 'refs/heads/master', displayId: 'master', type: 'BRANCH' },
        refId: 'refs/heads/master',
        fromHash: SHA_A,
        toHash: SHA_B,
        type: 'UPDATE',
      },
    ],
    ...(opts.commits ? { commits: opts.commits, toCommit: opts.commits[0] } : {}),
  }
}

export function bitbucketServerPullRequest(eventKey: string) {
  return {
    eventKey,
    date: '2026-11-20T09:12:01+0000',
    actor: bbServerActor,
    pullRequest: {
      id: 12,
      title: 'Threshold tuning',
      state: 'OPEN',
      author: { user: bbServerActor, role: 'AUTHOR' },
      fromRef: {
        id: 'refs/heads/tuning',
        displayId: 'tuning',
        latestCommit: SHA_C,
        repository: bbServerRepository(true),
      },
      toRef: {
        id: 'refs/heads/master',
        displayId: 'master',
        latestCommit: SHA_A,
        repository: bbServerRepository(true),
      },
      links: { self: [{ href: 'https://bitbucket.example.com/projects/DS/repos/fraud-model/pull-requests/12' }] },
    },
  }
}
