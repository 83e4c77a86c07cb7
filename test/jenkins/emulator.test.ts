// Self-tests of the Jenkins emulator against Jenkins core's behaviour (jenkinsci/jenkins): status codes,
// headers and JSON shapes as Jenkins sends them. The npm client traps are in
// emulator-client.test.ts; recordings (when present) in emulator-corpus.test.ts.
import t from 'tap'
import { ManualClock } from '../../src/demo/jenkins-emulator/index.js'
import { basic } from '../support/jenkins-emulator/http-client.js'
import {
  DOC_73_XML,
  FOLDER_XML,
  MINIMAL_XML,
  PASSWORD,
  emulator,
  pushJobXml,
  queueIdOf,
} from '../support/jenkins-emulator/fixtures.js'

const XML = { 'content-type': 'text/xml; charset=utf-8' }

t.test('transport: JSON content type, X-Jenkins headers, _class, pretty', async (t) => {
  const j = await emulator(t)
  const r = await j.call('/api/json')
  t.equal(r.status, 200)
  t.equal(r.header('content-type'), 'application/json;charset=UTF-8')
  t.match(r.header('x-jenkins'), /^2\.\d+/)
  t.ok(r.header('x-jenkins-session'))
  t.equal(r.json()._class, 'hudson.model.Hudson')
  t.notMatch(r.body, /\n/, 'compact by default')
  const pretty = await j.call('/api/json?pretty=true')
  t.match(pretty.body, /\n {2}"_class"/)
  t.equal((await j.call('/nothing/here')).status, 404)
})

t.test('auth: 401 for bad credentials, 403 for anonymous, permission table', async (t) => {
  const j = await emulator(t, {
    users: [
      { id: 'tamer', apiToken: 'tok', password: 'pw' },
      { id: 'reader', apiToken: 'rtok', permissions: ['Overall/Read', 'Job/Read'] },
      { id: 'blind', apiToken: 'btok', permissions: ['Overall/Read'] },
      { id: 'peek', apiToken: 'ptok', permissions: ['Overall/Read', 'Job/Discover'] },
    ],
  })
  j.control.createJob('p', pushJobXml())
  for (const auth of [basic('tamer', 'wrong'), basic('nobody', 'tok'), 'Basic bm9jb2xvbg==']) {
    const r = await j.call('/job/p/api/json', { auth })
    t.equal(r.status, 401, auth)
    t.equal(r.header('www-authenticate'), 'Basic realm="Jenkins"')
  }
  const bad = await j.call('/job/p/buildWithParameters', { method: 'POST', auth: basic('tamer', 'wrong') })
  t.equal(bad.status, 401, 'rejected before the URL is reached')

  const anon = await j.call('/job/p/api/json', { auth: null })
  t.equal(anon.status, 403)
  t.equal(anon.header('x-you-are-authenticated-as'), 'anonymous')
  t.equal(anon.header('x-required-permission'), 'hudson.model.Hudson.Read')
  t.match(anon.body, /login\?from=/)

  t.equal((await j.call('/job/p/api/json', { auth: basic('tamer', 'tok') })).status, 200, 'API token')
  t.equal((await j.call('/job/p/api/json', { auth: basic('tamer', 'pw') })).status, 200, 'password')

  const denied = await j.call('/job/p/buildWithParameters', { method: 'POST', auth: basic('reader', 'rtok') })
  t.equal(denied.status, 403)
  t.equal(denied.header('x-you-are-authenticated-as'), 'reader')
  t.equal(denied.header('x-required-permission'), 'hudson.model.Item.Build')
  t.ok(denied.header('x-permission-implied-by'))
  t.match(denied.body, 'reader is missing the Job/Build permission')

  t.equal(
    (await j.call('/job/p/api/json', { auth: basic('blind', 'btok') })).status,
    404,
    'no Read, no Discover: hidden',
  )
  const peek = await j.call('/job/p/api/json', { auth: basic('peek', 'ptok') })
  t.equal(peek.status, 403, 'Discover without Read')
  t.match(peek.body, 'Please login to access job p')
})

t.test('anonymous read mode', async (t) => {
  const j = await emulator(t, { anonymousPermissions: ['Overall/Read', 'Job/Read'] })
  j.control.createJob('p', pushJobXml())
  t.equal((await j.call('/job/p/api/json', { auth: null })).status, 200)
  const r = await j.call('/crumbIssuer/api/json', { auth: null })
  const cookie = (r.headers['set-cookie'] as string[])[0]?.split(';')[0] ?? ''
  const b = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    auth: null,
    headers: { 'Jenkins-Crumb': r.json().crumb, cookie },
  })
  t.equal(b.status, 403, 'anonymous has no Job/Build')
  t.equal(b.header('x-required-permission'), 'hudson.model.Item.Build')
})

t.test('crumbs: session-bound, token requests exempt, 403 message', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', pushJobXml())
  const issued = await j.call('/crumbIssuer/api/json', { auth: PASSWORD })
  t.equal(issued.status, 200)
  t.equal(issued.header('content-type'), 'application/json;charset=UTF-8')
  const body = issued.json()
  t.same(Object.keys(body), ['_class', 'crumb', 'crumbRequestField'])
  t.equal(body._class, 'hudson.security.csrf.DefaultCrumbIssuer')
  t.match(body.crumb, /^[0-9a-f]{64}$/)
  t.equal(body.crumbRequestField, 'Jenkins-Crumb')
  const setCookie = (issued.headers['set-cookie'] as string[])[0] ?? ''
  t.match(setCookie, /^JSESSIONID\.[0-9a-f]{8}=[^;]+; Path=\/; HttpOnly$/)
  const cookie = setCookie.split(';')[0] ?? ''

  const noCrumb = await j.call('/job/p/buildWithParameters?delay=0sec', { method: 'POST', auth: PASSWORD })
  t.equal(noCrumb.status, 403, 'password auth needs a crumb')
  t.match(noCrumb.header('content-type'), /^text\/html/)
  t.match(noCrumb.body, 'No valid crumb was included in the request')

  const noCookie = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    auth: PASSWORD,
    headers: { 'Jenkins-Crumb': body.crumb },
  })
  t.equal(noCookie.status, 403, 'crumb without its session cookie')

  const other = (await j.call('/crumbIssuer/api/json', { auth: PASSWORD })).json().crumb
  t.not(other, body.crumb, 'two requests without a session get different crumbs')
  const mixed = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    auth: PASSWORD,
    headers: { 'Jenkins-Crumb': other, cookie },
  })
  t.equal(mixed.status, 403, 'crumb of another session')

  const ok = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    auth: PASSWORD,
    headers: { 'Jenkins-Crumb': body.crumb, cookie },
  })
  t.equal(ok.status, 201)
  const asParam = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    auth: PASSWORD,
    headers: { cookie },
    form: { 'Jenkins-Crumb': body.crumb, DELIVERY_ID: 'x' },
  })
  t.equal(asParam.status, 201, 'crumb as a form parameter')

  const again = await j.call('/crumbIssuer/api/json', { auth: PASSWORD, headers: { cookie } })
  t.equal(again.json().crumb, body.crumb, 'same session, same crumb')
  t.notOk(again.headers['set-cookie'], 'no new session when the cookie is valid')

  t.equal(
    (await j.call('/job/p/buildWithParameters?DELIVERY_ID=t', { method: 'POST' })).status,
    201,
    'API token: no crumb needed',
  )

  const missing = await j.call('/job/nope/buildWithParameters', { method: 'POST', auth: PASSWORD })
  t.equal(missing.status, 403, 'crumb filter runs before the job is resolved')

  j.control.expireCrumbs()
  const expired = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    auth: PASSWORD,
    headers: { 'Jenkins-Crumb': body.crumb, cookie },
  })
  t.equal(expired.status, 403, 'session lost: crumb rejected')
  t.match(expired.body, 'No valid crumb')

  const xml = await j.call('/crumbIssuer/api/xml?xpath=concat(//crumbRequestField,":",//crumb)', { auth: PASSWORD })
  t.match(xml.header('content-type'), /^text\/plain/)
  t.match(xml.body, /^Jenkins-Crumb:[0-9a-f]{64}$/)
  t.equal((await j.call('/crumbIssuer/api/xml?xpath=//crumb', { auth: PASSWORD })).status, 403)

  j.control.setCsrf(false)
  t.equal((await j.call('/crumbIssuer/api/json')).status, 404, 'CSRF disabled: no crumb issuer')
  t.equal((await j.call('/job/p/buildWithParameters?DELIVERY_ID=u', { method: 'POST', auth: PASSWORD })).status, 201)
})

t.test('createItem and config.xml', async (t) => {
  const j = await emulator(t)
  const created = await j.call('/createItem?name=p', { method: 'POST', headers: XML, body: DOC_73_XML })
  t.equal(created.status, 200)
  t.equal(created.body, '')
  const dup = await j.call('/createItem?name=p', { method: 'POST', headers: XML, body: DOC_73_XML })
  t.equal(dup.status, 400)
  t.equal(dup.header('x-error'), 'A job already exists with the name ?p?')
  const unsafe = await j.call('/createItem?name=a%3Fb', { method: 'POST', headers: XML, body: DOC_73_XML })
  t.equal(unsafe.status, 400)
  t.equal(unsafe.header('x-error'), '??? is an unsafe character')
  t.equal(
    (await j.call('/createItem', { method: 'POST', headers: XML, body: DOC_73_XML })).header('x-error'),
    "Query parameter 'name' is required",
  )
  t.equal(
    (await j.call('/createItem?name=q', { method: 'POST', body: DOC_73_XML })).header('x-error'),
    'No Content-Type header set',
  )
  const unknownRoot = await j.call('/createItem?name=fs', {
    method: 'POST',
    headers: XML,
    body: '<project><builders/></project>',
  })
  t.equal(unknownRoot.status, 500, 'unknown root element (plugin missing)')
  t.match(unknownRoot.body, 'Oops!')
  t.equal(
    (await j.call('/createItem?name=bad', { method: 'POST', headers: XML, body: '<flow-definition><oops>' })).status,
    500,
    'malformed XML',
  )
  t.equal((await j.call('/job/fs/api/json')).status, 404, 'nothing was created')
  const get = await j.call('/createItem?name=g')
  t.equal(get.status, 405)
  t.equal(get.header('allow'), 'POST')

  const cfg = await j.call('/job/p/config.xml')
  t.equal(cfg.status, 200)
  t.match(cfg.header('content-type'), /^application\/xml/)
  t.match(cfg.body, '<flow-definition')

  const job = (await j.call('/job/p/api/json')).json()
  t.equal(job._class, 'org.jenkinsci.plugins.workflow.job.WorkflowJob')
  t.equal(job.url, `${j.url}/job/p/`)
  t.equal(job.buildable, true)
  t.equal(job.color, 'notbuilt')
  t.equal(job.nextBuildNumber, 1)
  t.equal(job.lastBuild, null)
  t.same(job.builds, [])
  t.equal(job.description, 'shared template')
  const prop = job.property[0]
  t.equal(prop._class, 'hudson.model.ParametersDefinitionProperty')
  t.same(prop.parameterDefinitions[1], {
    _class: 'hudson.model.ChoiceParameterDefinition',
    defaultParameterValue: { _class: 'hudson.model.StringParameterValue', name: 'TARGET', value: 'staging' },
    description: 'environment',
    name: 'TARGET',
    type: 'ChoiceParameterDefinition',
    choices: ['staging', 'production'],
  })
  t.same(prop.parameterDefinitions[2].defaultParameterValue, {
    _class: 'hudson.model.BooleanParameterValue',
    name: 'DRY_RUN',
    value: false,
  })
  t.equal(prop.parameterDefinitions[0].type, 'StringParameterDefinition')

  // the other choice list form (a plain <choices> list, as a List serialises) and a config update
  const listForm = DOC_73_XML.replace(
    /<choices class="java.util.Arrays\$ArrayList">\s*<a class="string-array">([\s\S]*?)<\/a>\s*<\/choices>/,
    '<choices>$1</choices>',
  ).replace('<string>staging</string>', '<string>qa</string><string>staging</string>')
  const upd = await j.call('/job/p/config.xml', { method: 'POST', headers: XML, body: listForm })
  t.equal(upd.status, 200)
  const after = (await j.call('/job/p/api/json')).json()
  t.same(after.property[0].parameterDefinitions[1].choices, ['qa', 'staging', 'production'])
  t.equal(
    (await j.call('/job/p/config.xml', { method: 'POST', headers: XML, body: FOLDER_XML })).status,
    500,
    'job type cannot change',
  )
  t.equal((await j.call('/job/p/config.xml', { method: 'PUT', headers: XML, body: listForm })).status, 400)
  t.equal((await j.call('/job/missing/config.xml')).status, 404)

  t.equal((await j.call('/createItem?name=plain', { method: 'POST', headers: XML, body: MINIMAL_XML })).status, 200)
  t.same((await j.call('/job/plain/api/json')).json().property, [])
})

t.test('folders: nested /job/a/job/b/ URLs, short names in the queue, 404 for a missing folder', async (t) => {
  const j = await emulator(t)
  t.equal((await j.call('/createItem?name=team', { method: 'POST', headers: XML, body: FOLDER_XML })).status, 200)
  t.equal(
    (await j.call('/job/team/createItem?name=ml%20models', { method: 'POST', headers: XML, body: pushJobXml() }))
      .status,
    200,
  )
  t.equal(
    (await j.call('/job/nope/createItem?name=x', { method: 'POST', headers: XML, body: pushJobXml() })).status,
    404,
    'folder missing',
  )
  const folder = (await j.call('/job/team/api/json')).json()
  t.equal(folder._class, 'com.cloudbees.hudson.plugins.folder.Folder')
  t.same(folder.jobs, [
    {
      _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
      name: 'ml models',
      url: `${j.url}/job/team/job/ml%20models/`,
      color: 'notbuilt',
    },
  ])
  const job = (await j.call('/job/team/job/ml%20models/api/json')).json()
  t.equal(job.fullName, 'team/ml models')
  t.equal(job.fullDisplayName, 'team » ml models')
  const r = await j.call('/job/team/job/ml%20models/buildWithParameters?delay=0sec&DELIVERY_ID=1', { method: 'POST' })
  t.equal(r.status, 201)
  j.control.advance(200)
  const item = (await j.call(`/queue/item/${queueIdOf(r.header('location'))}/api/json`)).json()
  t.equal(item.task.name, 'ml models', 'queue task name is the short name')
  t.equal(item.executable.url, `${j.url}/job/team/job/ml%20models/1/`)
  const b = (await j.call('/job/team/job/ml%20models/1/api/json')).json()
  t.equal(b.fullDisplayName, 'team » ml models #1')
  t.equal((await j.call('/job/team/job/other/api/json')).status, 404)
})

t.test('trigger outcome table', async (t) => {
  const j = await emulator(t, { legacyNotParameterized500: false })
  j.control.createJob('p', DOC_73_XML)
  j.control.createJob('plain', MINIMAL_XML)
  j.control.createJob('off', pushJobXml().replace('<disabled>false</disabled>', '<disabled>true</disabled>'))
  j.control.createJob(
    'tok',
    pushJobXml().replace('<keepDependencies>', '<authToken>s3cret</authToken>\n  <keepDependencies>'),
  )

  const ok = await j.call('/job/p/buildWithParameters?GIT_REF=abc', { method: 'POST' })
  t.equal(ok.status, 201)
  t.equal(ok.body, '')
  t.equal(ok.header('location'), `${j.url}/queue/item/1/`, 'absolute, trailing slash')

  const get = await j.call('/job/p/buildWithParameters?GIT_REF=x')
  t.equal(get.status, 405)
  t.equal(get.header('allow'), 'POST')
  t.equal((await j.call('/job/missing/buildWithParameters', { method: 'POST' })).status, 404)
  t.equal((await j.call('/job/missing/build', { method: 'POST' })).status, 404)

  const off = await j.call('/job/off/buildWithParameters', { method: 'POST' })
  t.equal(off.status, 409)
  t.match(off.body, 'off is not buildable')
  t.equal((await j.call('/job/off/build', { method: 'POST' })).status, 409)
  const offJob = (await j.call('/job/off/api/json')).json()
  t.equal(offJob.buildable, false)
  t.equal(offJob.color, 'disabled')

  const np = await j.call('/job/plain/buildWithParameters', { method: 'POST' })
  t.equal(np.status, 400)
  t.match(np.body, 'plain is not parameterized')
  const plainBuild = await j.call('/job/plain/build?delay=0sec', { method: 'POST' })
  t.equal(plainBuild.status, 201)
  t.equal(plainBuild.header('location'), `${j.url}/queue/item/2/`)
  t.equal((await j.call('/job/plain/build')).status, 405, 'GET /build on a non-parameterized job')

  t.equal((await j.call('/job/p/build')).status, 200, 'GET /build of a parameterized job: the form')
  const nothing = await j.call('/job/p/build', { method: 'POST' })
  t.equal(nothing.status, 400)
  t.match(nothing.body, 'Nothing is submitted')
  t.match((await j.call('/job/p/build?delay=0sec', { method: 'POST' })).body, 'This page expects a form submission')
  const viaJson = await j.call('/job/p/build', {
    method: 'POST',
    form: { json: JSON.stringify({ parameter: [{ name: 'GIT_REF', value: 'from-json' }] }) },
  })
  t.equal(viaJson.status, 201)

  const illegal = await j.call('/job/p/buildWithParameters?TARGET=moon', { method: 'POST' })
  t.equal(illegal.status, 500)
  t.match(illegal.body, 'Illegal choice for parameter TARGET: moon')
  const twice = await j.call('/job/p/buildWithParameters?GIT_REF=a&GIT_REF=b', { method: 'POST' })
  t.equal(twice.status, 500)
  t.match(twice.body, 'Illegal number of parameter values for GIT_REF: 2')
  const badDelay = await j.call('/job/p/buildWithParameters?delay=soon', { method: 'POST' })
  t.equal(badDelay.status, 500)
  t.match(badDelay.body, 'Invalid time duration value: soon')

  // job token: GET allowed, RemoteCause; wrong token 403
  const remote = await j.call('/job/tok/buildWithParameters?token=s3cret&cause=push&delay=0sec&DELIVERY_ID=r', {
    auth: null,
  })
  t.equal(remote.status, 403, 'anonymous still needs Overall/Read to reach the job URL')
  const remote2 = await j.call('/job/tok/buildWithParameters?token=s3cret&cause=push&delay=0sec&DELIVERY_ID=r')
  t.equal(remote2.status, 201, 'GET with a valid token')
  const item = (await j.call(`/queue/item/${queueIdOf(remote2.header('location'))}/api/json`)).json()
  t.equal(item.actions[1].causes[0]._class, 'hudson.model.Cause$RemoteCause')
  t.equal(item.actions[1].causes[0].shortDescription, 'Started by remote host 127.0.0.1 with note: push')
  const wrong = await j.call('/job/tok/buildWithParameters?token=nope', { method: 'POST' })
  t.equal(wrong.status, 403)
  t.match(wrong.body, 'Invalid token provided.')
})

t.test('legacy option: buildWithParameters on a plain job is 500 before 2.524', async (t) => {
  const j = await emulator(t, { legacyNotParameterized500: true })
  j.control.createJob('plain', MINIMAL_XML)
  const r = await j.call('/job/plain/buildWithParameters', { method: 'POST' })
  t.equal(r.status, 500)
  t.match(r.body, 'This build is not parameterized!')
})

t.test('parameter values: defaults, ignored extras, boolean, trim', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', DOC_73_XML)
  const r = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    form: { GIT_REF: '  feature  ', DRY_RUN: 'TRUE', EXTRA: 'ignored' },
  })
  t.equal(r.status, 201)
  const item = (await j.call(`/queue/item/${queueIdOf(r.header('location'))}/api/json`)).json()
  t.same(item.actions[0], {
    _class: 'hudson.model.ParametersAction',
    parameters: [
      { _class: 'hudson.model.StringParameterValue', name: 'GIT_REF', value: 'feature' },
      { _class: 'hudson.model.StringParameterValue', name: 'TARGET', value: 'staging' },
      { _class: 'hudson.model.BooleanParameterValue', name: 'DRY_RUN', value: true },
    ],
  })
  t.equal(item.params, '\nGIT_REF=feature\nTARGET=staging\nDRY_RUN=true')
  t.same(item.actions[1].causes, [
    {
      _class: 'hudson.model.Cause$UserIdCause',
      shortDescription: 'Started by user Tamer Bot',
      userId: 'tamer',
      userName: 'Tamer Bot',
    },
  ])
})

t.test('deduplication: identical parameters fold, 303 to the existing item', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', pushJobXml())
  j.control.createJob('plain', MINIMAL_XML)
  const first = await j.call('/job/p/buildWithParameters?COMMIT_SHA=abc&DELIVERY_ID=d1', { method: 'POST' })
  t.equal(first.status, 201)
  const dup = await j.call('/job/p/buildWithParameters', {
    method: 'POST',
    form: { COMMIT_SHA: 'abc', DELIVERY_ID: 'd1' },
  })
  t.equal(dup.status, 303, 'buildWithParameters answers 303 See Other since 2.308')
  t.equal(dup.header('location'), first.header('location'))
  const item = (await j.call(`/queue/item/${queueIdOf(first.header('location'))}/api/json`)).json()
  t.equal(item.actions[1].causes.length, 2, 'the cause repeats')
  const distinct = await j.call('/job/p/buildWithParameters?COMMIT_SHA=abc&DELIVERY_ID=d2', { method: 'POST' })
  t.equal(distinct.status, 201)
  t.not(distinct.header('location'), first.header('location'))
  const explicitDefault = await j.call('/job/p/buildWithParameters?COMMIT_SHA=abc&DELIVERY_ID=d2&BRANCH=main', {
    method: 'POST',
  })
  t.equal(explicitDefault.status, 303, 'compared after defaults are applied')

  const a = await j.call('/job/plain/build', { method: 'POST' })
  const b = await j.call('/job/plain/build', { method: 'POST' })
  t.equal(b.status, 201, '/build answers 201 even when merged (JENKINS-66105)')
  t.equal(b.header('location'), a.header('location'))

  j.control.advance(5000 + 100)
  const afterLeaving = await j.call('/job/p/buildWithParameters?COMMIT_SHA=abc&DELIVERY_ID=d1', { method: 'POST' })
  t.equal(afterLeaving.status, 201, 'items that left the queue are not merge candidates')
  const shorter = await j.call('/job/p/buildWithParameters?COMMIT_SHA=abc&DELIVERY_ID=d1&delay=1sec', {
    method: 'POST',
  })
  t.equal(shorter.status, 303)
  const waiting = (await j.call(`/queue/item/${queueIdOf(afterLeaving.header('location'))}/api/json`)).json()
  t.equal(waiting.timestamp, j.state.now() + 1000, 'the shorter quiet period wins')
})

t.test('queue lifecycle: waiting → buildable → left(null) → left(executable) → forgotten', async (t) => {
  const clock = new ManualClock(1_700_000_000_000)
  const j = await emulator(t, { clock, buildableMs: 100, executableGapMs: 50 })
  j.control.createJob('p', pushJobXml())
  const r = await j.call('/job/p/buildWithParameters?DELIVERY_ID=1', { method: 'POST' })
  const id = queueIdOf(r.header('location'))
  const path = `/queue/item/${id}/api/json`

  const waiting = (await j.call(path)).json()
  t.same(Object.keys(waiting), [
    '_class',
    'actions',
    'blocked',
    'buildable',
    'id',
    'inQueueSince',
    'params',
    'stuck',
    'task',
    'url',
    'why',
    'timestamp',
  ])
  t.equal(waiting._class, 'hudson.model.Queue$WaitingItem')
  t.equal(waiting.url, `queue/item/${id}/`, 'relative url')
  t.equal(waiting.inQueueSince, 1_700_000_000_000)
  t.equal(waiting.timestamp, 1_700_000_005_000, 'due time after the 5 s default quiet period')
  t.equal(waiting.why, 'In the quiet period. Expires in 5 sec')
  t.same(waiting.task, {
    _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
    name: 'p',
    url: `${j.url}/job/p/`,
    color: 'notbuilt',
  })
  clock.advance(400)
  t.equal((await j.call(path)).json().why, 'In the quiet period. Expires in 4.6 sec')
  const list = (await j.call('/queue/api/json')).json()
  t.same(Object.keys(list), ['_class', 'discoverableItems', 'items'])
  t.equal(list._class, 'hudson.model.Queue')
  t.equal(list.items.length, 1)
  t.equal((await j.call('/job/p/api/json')).json().inQueue, true)

  clock.advance(4600)
  const buildable = (await j.call(path)).json()
  t.equal(buildable._class, 'hudson.model.Queue$BuildableItem')
  t.equal(buildable.buildable, true)
  t.equal(buildable.pending, false)
  t.equal(buildable.buildableStartMilliseconds, 1_700_000_005_000)
  t.equal(buildable.why, 'Waiting for next available executor')

  clock.advance(100)
  const gap = (await j.call(path)).json()
  t.equal(gap._class, 'hudson.model.Queue$LeftItem')
  t.equal(gap.cancelled, false)
  t.equal(gap.executable, null, 'the brief executable:null window')
  t.equal(gap.why, null)
  t.same((await j.call('/queue/api/json')).json().items, [], 'LeftItems are not listed')
  t.same(
    (await j.call('/job/p/api/json?tree=allBuilds[number]')).json().allBuilds,
    [],
    'and the build does not exist yet: in neither place',
  )

  clock.advance(50)
  const left = (await j.call(path)).json()
  t.same(left.executable, {
    _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
    number: 1,
    url: `${j.url}/job/p/1/`,
  })
  const advice = await j.call(`/queue/item/${id}/`)
  t.match(
    advice.body,
    `Queue item exists. For details check, for example, /queue/item/${id}/api/json?tree=cancelled,executable[url]`,
  )

  clock.advance(5 * 60 * 1000 - 51)
  t.equal((await j.call(path)).status, 200, 'still there just before 5 min after leaving')
  clock.advance(1)
  t.equal((await j.call(path)).status, 404, 'forgotten 5 min after leaving the queue')
  const builds = (await j.call('/job/p/api/json?tree=builds[number,queueId,result,building]')).json()
  t.same(
    builds.builds,
    [
      {
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
        number: 1,
        queueId: id,
        result: 'SUCCESS',
        building: false,
      },
    ],
    'recovery path via queueId',
  )
})

t.test('queue: blocked (non-concurrent), no executors, cancel', async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0 })
  j.control.createJob(
    'serial',
    pushJobXml().replace(
      '<properties>',
      '<properties>\n    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>',
    ),
  )
  j.control.setScenario('serial', { durationMs: 10_000 })
  const first = await j.call('/job/serial/buildWithParameters?DELIVERY_ID=1', { method: 'POST' })
  j.control.advance(1000)
  const second = await j.call('/job/serial/buildWithParameters?DELIVERY_ID=2', { method: 'POST' })
  j.control.advance(0)
  const blocked = (await j.call(`/queue/item/${queueIdOf(second.header('location'))}/api/json`)).json()
  t.equal(blocked._class, 'hudson.model.Queue$BlockedItem')
  t.equal(blocked.blocked, true)
  t.equal(blocked.buildable, false)
  t.equal(blocked.why, 'Build #1 is already in progress')
  t.equal((await j.call(`/queue/item/${queueIdOf(first.header('location'))}/api/json`)).json().executable.number, 1)
  j.control.advance(10_000)
  const started = (await j.call(`/queue/item/${queueIdOf(second.header('location'))}/api/json`)).json()
  t.equal(started.executable?.number, 2, 'unblocked when build #1 ended')

  j.control.setExecutors(0)
  j.control.createJob('p', pushJobXml())
  const stuck = await j.call('/job/p/buildWithParameters?DELIVERY_ID=s', { method: 'POST' })
  const sid = queueIdOf(stuck.header('location'))
  j.control.advance(60_000)
  t.equal(
    (await j.call(`/queue/item/${sid}/api/json`)).json()._class,
    'hudson.model.Queue$BuildableItem',
    'stays queued without executors',
  )

  const get = await j.call(`/queue/cancelItem?id=${sid}`)
  t.equal(get.status, 405)
  const cancel = await j.call(`/queue/cancelItem?id=${sid}`, { method: 'POST' })
  t.equal(cancel.status, 204)
  const cancelled = (await j.call(`/queue/item/${sid}/api/json`)).json()
  t.equal(cancelled._class, 'hudson.model.Queue$LeftItem')
  t.equal(cancelled.cancelled, true)
  t.equal(cancelled.executable, null)
  t.equal(cancelled.why, null)
  const again = await j.call(`/queue/cancelItem?id=${sid}`, { method: 'POST' })
  t.equal(again.status, 404)
  t.match(again.body, `Provided id (${sid}) not found`)
  const legacy = await j.call('/job/p/buildWithParameters?DELIVERY_ID=l', { method: 'POST' })
  t.equal(
    (await j.call(`/queue/item/${queueIdOf(legacy.header('location'))}/cancelQueue`, { method: 'POST' })).status,
    204,
  )
  t.equal((await j.call('/queue/item/9999/cancelQueue', { method: 'POST' })).status, 404)

  const nocancel = await emulator(t, {
    users: [{ id: 'u', apiToken: 't', permissions: ['Overall/Read', 'Job/Read', 'Job/Build'] }],
  })
  nocancel.control.createJob('p', pushJobXml())
  const q = await nocancel.call('/job/p/buildWithParameters', { method: 'POST', auth: basic('u', 't') })
  const r = await nocancel.call(`/queue/cancelItem?id=${queueIdOf(q.header('location'))}`, {
    method: 'POST',
    auth: basic('u', 't'),
  })
  t.equal(r.status, 422)
  t.match(r.body, 'is not cancellable')

  j.control.setExecutors(Infinity)
  const viaControl = await j.call('/job/p/buildWithParameters?DELIVERY_ID=c', { method: 'POST' })
  t.equal(j.control.cancelQueueItem(queueIdOf(viaControl.header('location'))), true)
  t.equal((await j.call(`/queue/item/${queueIdOf(viaControl.header('location'))}/api/json`)).json().cancelled, true)
})

t.test('builds: running shape, mid-run result, final results, parameters', async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0, buildableMs: 0, executableGapMs: 0 })
  j.control.createJob('p', DOC_73_XML)
  j.control.setScenario('p', ({ params }) =>
    params.GIT_REF === 'unstable'
      ? {
          durationMs: 10_000,
          result: 'UNSTABLE',
          midRunResult: { result: 'UNSTABLE', atMs: 4000 },
          stages: ['Test', 'Deploy'],
          failingStage: 'Test',
        }
      : { durationMs: 10_000, result: String(params.GIT_REF) as 'SUCCESS' },
  )
  await j.call('/job/p/buildWithParameters?GIT_REF=unstable&DRY_RUN=true', { method: 'POST' })
  j.control.advance(1000)
  const running = (await j.call('/job/p/1/api/json')).json()
  t.same(Object.keys(running), [
    '_class',
    'actions',
    'artifacts',
    'building',
    'description',
    'displayName',
    'duration',
    'estimatedDuration',
    'executor',
    'fullDisplayName',
    'id',
    'inProgress',
    'keepLog',
    'number',
    'queueId',
    'result',
    'timestamp',
    'url',
    'changeSets',
    'culprits',
    'nextBuild',
    'previousBuild',
  ])
  t.equal(running._class, 'org.jenkinsci.plugins.workflow.job.WorkflowRun')
  t.equal(running.building, true)
  t.equal(running.inProgress, true)
  t.equal(running.result, null)
  t.equal(running.duration, 0)
  t.equal(running.estimatedDuration, -1)
  t.same(running.executor, { _class: 'hudson.model.OneOffExecutor' })
  t.equal(running.id, '1')
  t.equal(running.displayName, '#1')
  t.equal(running.fullDisplayName, 'p #1')
  t.equal(running.queueId, 1)
  t.equal(running.url, `${j.url}/job/p/1/`)
  const params = running.actions.find((a: { _class?: string }) => a._class === 'hudson.model.ParametersAction')
  t.same(
    params.parameters[2],
    { _class: 'hudson.model.BooleanParameterValue', name: 'DRY_RUN', value: true },
    'Boolean values are JSON booleans',
  )
  t.ok(
    running.actions.some((a: object) => Object.keys(a).length === 0),
    'unexported actions serialise as {}',
  )
  t.equal((await j.call('/job/p/api/json')).json().color, 'notbuilt_anime')

  j.control.advance(4000)
  const mid = (await j.call('/job/p/1/api/json?tree=building,result')).json()
  t.same(
    mid,
    { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', building: true, result: 'UNSTABLE' },
    'result set while still building',
  )
  j.control.advance(5000)
  const done = (await j.call('/job/p/1/api/json')).json()
  t.equal(done.building, false)
  t.equal(done.inProgress, false)
  t.equal(done.result, 'UNSTABLE')
  t.equal(done.duration, 10_000)
  t.equal(done.executor, null)
  t.equal((await j.call('/job/p/api/json')).json().color, 'yellow')

  const colors: Record<string, string> = { SUCCESS: 'blue', FAILURE: 'red', NOT_BUILT: 'notbuilt', ABORTED: 'aborted' }
  let n = 1
  for (const result of ['SUCCESS', 'FAILURE', 'NOT_BUILT', 'ABORTED']) {
    await j.call(`/job/p/buildWithParameters?GIT_REF=${result}`, { method: 'POST' })
    j.control.advance(10_000)
    n++
    const b = (await j.call(`/job/p/${n}/api/json`)).json()
    t.equal(b.result, result)
    t.equal(b.building, false)
    t.equal(b.previousBuild.number, n - 1)
    const log = await j.call(`/job/p/${n}/consoleText`)
    t.equal(log.header('content-type'), 'text/plain;charset=UTF-8')
    t.ok(log.body.endsWith(`Finished: ${result}\n`), `log ends with Finished: ${result}`)
    t.equal((await j.call('/job/p/api/json')).json().color, colors[result])
  }
  t.equal((await j.call('/job/p/1/api/json')).json().nextBuild.number, 2)
  t.equal((await j.call('/job/p/lastBuild/api/json')).json().number, 5)
  t.equal((await j.call('/job/p/lastSuccessfulBuild/api/json')).json().number, 2)
  t.equal((await j.call('/job/p/lastFailedBuild/api/json')).json().number, 3)
  t.equal((await j.call('/job/p/lastStableBuild/api/json')).json().number, 2)
  t.equal((await j.call('/job/p/lastUnstableBuild/api/json')).json().number, 1)
  t.equal((await j.call('/job/p/6/api/json')).status, 404, 'unknown build number')
  t.equal((await j.call('/job/p/6/consoleText')).status, 404)
  const job = (await j.call('/job/p/api/json')).json()
  t.equal(job.nextBuildNumber, 6)
  t.same(
    job.builds.map((b: { number: number }) => b.number),
    [5, 4, 3, 2, 1],
    'newest first',
  )
  t.same(job.lastCompletedBuild, {
    _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
    number: 5,
    url: `${j.url}/job/p/5/`,
  })
  t.equal(
    (await j.call('/job/p/1/api/json?tree=actions[parameters[name,value]]')).json().actions[0].parameters[0].name,
    'GIT_REF',
  )
  t.equal((await j.call('/job/p/api/json?tree=lastBuild[number,result]{0}')).json().lastBuild.result, 'ABORTED')
  t.equal((await j.call('/job/p/api/json?tree=builds[number]{1,3}')).json().builds.length, 2, 'tree ranges')
  t.equal((await j.call('/job/p/api/json?tree=builds[')).status, 400)
  t.match((await j.call('/job/p/3/consoleText')).body, /ERROR: script returned exit code 1|Finished: FAILURE/)
  t.notOk((await j.call('/job/p/1/api/json')).json().estimatedDuration < 0, 'estimate from history')
})

t.test("a stage's sh output is printed inside that stage, before its failure", async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0 })
  await j.call('/createItem?name=p', { method: 'POST', body: DOC_73_XML, headers: { 'Content-Type': 'text/xml' } })
  j.control.setScenario('p', {
    result: 'FAILURE',
    stages: ['Checkout', 'Tests', 'Deploy'],
    failingStage: 'Tests',
    stageLog: { Checkout: ['+ git checkout'], Tests: ['+ pytest', '1 failed'] },
  })
  await j.call('/job/p/buildWithParameters', { method: 'POST' })
  j.control.advance(10_000)
  const log = (await j.call('/job/p/1/consoleText')).body
  t.match(
    log,
    /\{ \(Checkout\)\n\[Pipeline\] echo\nrunning Checkout\n\[Pipeline\] sh\n\+ git checkout\n\[Pipeline\] \}/,
  )
  t.match(log, /\{ \(Tests\)\n\[Pipeline\] echo\nrunning Tests\n\[Pipeline\] sh\n\+ pytest\n1 failed\nERROR: script/)
  t.match(log, /Stage "Deploy" skipped due to earlier failure\(s\)/)
  t.ok(log.endsWith('Finished: FAILURE\n'))
})

t.test('job builds: `builds` is the newest 100, `allBuilds` and its ranges reach every build', async (t) => {
  const clock = new ManualClock(1_700_000_000_000)
  const j = await emulator(t, { clock, quietPeriodSec: 0, defaultScenario: { durationMs: 10 } })
  j.control.createJob('p', pushJobXml())
  for (let i = 1; i <= 130; i++) {
    t.equal((await j.call(`/job/p/buildWithParameters?DELIVERY_ID=d${i}`, { method: 'POST' })).status, 201)
    clock.advance(1000)
  }
  const numbers = (path: string, key = 'builds') =>
    j.call(path).then((r) => (r.json()[key] as { number: number }[]).map((b) => b.number))
  const all = Array.from({ length: 130 }, (_, i) => 130 - i)
  t.same(
    await numbers('/job/p/api/json?tree=builds[number]'),
    all.slice(0, 100),
    'builds: the newest 100, newest first',
  )
  t.same(
    await numbers('/job/p/api/json?tree=builds[number]{90,120}'),
    all.slice(90, 100),
    'a range on builds stays inside the newest 100',
  )
  t.same((await j.call('/job/p/api/json')).json().builds.length, 100)
  t.notOk(
    'allBuilds' in (await j.call('/job/p/api/json?depth=1')).json(),
    'allBuilds only when a tree names it (visibility -2)',
  )
  t.same(await numbers('/job/p/api/json?tree=allBuilds[number]', 'allBuilds'), all, 'allBuilds: every build')
  t.same(
    await numbers('/job/p/api/json?tree=allBuilds[number]{100,200}', 'allBuilds'),
    all.slice(100),
    'allBuilds{M,N}',
  )
  t.same(await numbers('/job/p/api/json?tree=allBuilds[number]{129}', 'allBuilds'), [1], '{N}: one element')
  const page = (
    await j.call('/job/p/api/json?tree=allBuilds[number,timestamp,queueId,actions[parameters[name,value]]]{0,2}')
  ).json().allBuilds
  t.same(page[0].actions[0].parameters.find((p: { name: string }) => p.name === 'DELIVERY_ID').value, 'd130')
  t.equal(page[0].queueId, 130)
  t.ok(page[0].timestamp > page[1].timestamp, 'timestamps: the build start, newest first')
})

t.test('progressive log: X-Text-Size, X-More-Data only while running, CRLF, restart', async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0, buildableMs: 0, executableGapMs: 0 })
  j.control.createJob('p', pushJobXml())
  j.control.setScenario('p', { durationMs: 1000, stages: ['Checkout', 'Test'] })
  await j.call('/job/p/buildWithParameters', { method: 'POST' })
  j.control.advance(300)
  const first = await j.call('/job/p/1/logText/progressiveText?start=0')
  t.equal(first.status, 200)
  t.equal(first.header('content-type'), 'text/plain;charset=UTF-8')
  t.equal(first.header('x-more-data'), 'true')
  const size = Number(first.header('x-text-size'))
  t.ok(size > 0)
  t.match(first.body, /^Started by user Tamer Bot\r\n/)
  t.notMatch(first.body.replace(/\r\n/g, ''), /\n/, 'CRLF line ends')
  t.equal(first.body.replace(/\r\n/g, '\n').length, size, 'X-Text-Size counts raw (LF) bytes')

  j.control.advance(700)
  const rest = await j.call('/job/p/1/logText/progressiveText', { method: 'POST', form: { start: String(size) } })
  t.equal(rest.header('x-more-data'), undefined, 'absent, not "false", once complete')
  t.ok(rest.body.endsWith('Finished: SUCCESS\r\n'))
  t.notMatch(rest.body, /^Started by/, 'continues from start')
  const full = (await j.call('/job/p/1/consoleText')).body
  t.equal(Number(rest.header('x-text-size')), Buffer.byteLength(full))
  t.equal(first.body + rest.body, full.replace(/\n/g, '\r\n'))
  const beyond = await j.call(`/job/p/1/logText/progressiveText?start=${Buffer.byteLength(full) + 100}`)
  t.equal(beyond.body, full.replace(/\n/g, '\r\n'), 'start beyond the end restarts from 0')
})

t.test('stop: 302 to Referer, ABORTED; open-ended builds complete on demand', async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0, buildableMs: 0, executableGapMs: 0 })
  j.control.createJob('p', pushJobXml())
  j.control.setScenario('p', { durationMs: Infinity })
  await j.call('/job/p/buildWithParameters?DELIVERY_ID=1', { method: 'POST' })
  await j.call('/job/p/buildWithParameters?DELIVERY_ID=2', { method: 'POST' })
  j.control.advance(3_600_000)
  t.equal((await j.call('/job/p/1/api/json')).json().building, true, 'runs until told')
  const stop = await j.call('/job/p/1/stop', { method: 'POST', headers: { referer: 'http://x/job/p/' } })
  t.equal(stop.status, 302)
  t.equal(stop.header('location'), 'http://x/job/p/')
  t.equal((await j.call('/job/p/1/stop', { method: 'POST' })).header('location'), '.', 'again, without Referer')
  const b = (await j.call('/job/p/1/api/json')).json()
  t.equal(b.result, 'ABORTED')
  t.equal(b.building, false)
  t.match((await j.call('/job/p/1/consoleText')).body, /Aborted by Tamer Bot\nFinished: ABORTED\n$/)
  j.control.completeBuild('p', 2, 'FAILURE')
  t.equal((await j.call('/job/p/2/api/json')).json().result, 'FAILURE')
})

t.test('control: down/up, slow, 500s, vanished job, restart', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', pushJobXml())
  await j.control.down()
  await t.rejects(j.call('/api/json'), { code: 'ECONNREFUSED' })
  await j.control.up()
  t.equal((await j.call('/api/json')).status, 200, 'back on the same port')

  j.control.slow(150)
  const started = Date.now()
  await j.call('/api/json')
  t.ok(Date.now() - started >= 140, 'slow')
  j.control.slow(0)

  j.control.failNext(2)
  const oops = await j.call('/job/p/api/json')
  t.equal(oops.status, 500)
  t.match(oops.body, 'Oops!')
  t.equal((await j.call('/job/p/api/json')).status, 500)
  t.equal((await j.call('/job/p/api/json')).status, 200)
  j.control.failNext(1, 503)
  t.equal((await j.call('/job/p/api/json')).status, 503)

  const q = await j.call('/job/p/buildWithParameters?DELIVERY_ID=v', { method: 'POST' })
  j.control.vanishJob('p')
  t.equal((await j.call('/job/p/api/json')).status, 404)
  t.equal((await j.call('/job/p/buildWithParameters', { method: 'POST' })).status, 404)
  const item = (await j.call(`/queue/item/${queueIdOf(q.header('location'))}/api/json`)).json()
  t.equal(item.cancelled, true, 'its queue item was cancelled with it')

  j.control.createJob('r', pushJobXml())
  const left = await j.call('/job/r/buildWithParameters?delay=0sec', { method: 'POST' })
  j.control.advance(1000)
  const issued = await j.call('/crumbIssuer/api/json', { auth: PASSWORD })
  j.control.restart()
  t.equal(
    (await j.call(`/queue/item/${queueIdOf(left.header('location'))}/api/json`)).status,
    404,
    'restart forgets LeftItems',
  )
  const cookie = ((issued.headers['set-cookie'] as string[])[0] ?? '').split(';')[0] ?? ''
  t.equal(
    (
      await j.call('/job/r/buildWithParameters', {
        method: 'POST',
        auth: PASSWORD,
        headers: { 'Jenkins-Crumb': issued.json().crumb, cookie },
      })
    ).status,
    403,
  )
})
