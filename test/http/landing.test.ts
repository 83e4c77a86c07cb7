// GET / (issue #11): not a 404 but what Tamer is, its version, which git hosts have a secret, and
// links to the API document and the read API; HTML with the API's security headers (no script),
// JSON for `Accept: application/json`. Through the real app, composed as `tamer serve` composes it.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { prefersJson } from '../../src/http/landing.js'
import { testConfig, startTestApp } from '../support/app.js'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
const API_CSP = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'"

t.test('GET / is a landing page: what, which version, which hosts, where next', async (t) => {
  // GitHub has a secret, GitLab and Bitbucket none; no Jenkins.
  const config = testConfig({ providers: { github: { secrets: ['landing-secret'] } } })
  const { app } = await startTestApp(t, { config })

  const html = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,*/*;q=0.8' } })
  t.equal(html.statusCode, 200)
  t.match(html.headers['content-type'], /^text\/html; charset=utf-8/)
  t.equal(html.headers['content-security-policy'], API_CSP, 'the API CSP: nothing may run or load')
  t.equal(html.headers['x-content-type-options'], 'nosniff')
  t.equal(html.headers['x-frame-options'], 'DENY')
  t.notMatch(html.body, /<script|<style|\son\w+=/i, 'no script, no inline style or handler')
  t.match(html.body, /^<!DOCTYPE html>/)
  t.match(html.body, `<title>Tamer ${version}</title>`)
  t.match(html.body, /notebook-aware diffs and Jenkins pipelines/)
  t.match(html.body, /GitHub: <code>POST \/hooks\/github<\/code> — configured<\/li>/)
  t.match(html.body, /GitLab: <code>POST \/hooks\/gitlab<\/code> — not configured/)
  t.match(html.body, /Bitbucket[^<]*: <code>POST \/hooks\/bitbucket<\/code> — not configured/)
  t.match(html.body, /Jenkins: not configured/)
  for (const href of ['/openapi.json', '/api/deliveries', '/api/builds', '/api/notifications', '/healthz'])
    t.match(html.body, `<a href="${href}">`, `links to ${href}`)
  t.notMatch(html.body, /landing-secret/, 'no secret on a public page')

  // A browser that sends no Accept at all gets the page too.
  t.match((await app.inject({ method: 'GET', url: '/' })).headers['content-type'], /^text\/html/)

  const json = await app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } })
  t.equal(json.statusCode, 200)
  t.match(json.headers['content-type'], /^application\/json/)
  t.match(json.headers.vary, /accept/i)
  t.match(json.json(), {
    name: 'Tamer',
    version,
    hosts: [
      { provider: 'github', url: '/hooks/github', configured: true },
      { provider: 'gitlab', url: '/hooks/gitlab', configured: false },
      { provider: 'bitbucket', url: '/hooks/bitbucket', configured: false },
    ],
    jenkins: { configured: false },
  })
  t.ok(
    (json.json() as { links: { href: string }[] }).links.some((l) => l.href === '/openapi.json'),
    'the API document is linked',
  )
  t.notMatch(json.body, /landing-secret/)
})

t.test('GET / says Jenkins is configured when it is', async (t) => {
  const config = testConfig({ jenkins: { url: 'http://jenkins.invalid:8080', user: 'u', token: 't' } })
  const { app } = await startTestApp(t, { config })
  const json = await app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } })
  t.match(json.json(), { jenkins: { configured: true } })
  t.notMatch(json.body, /jenkins\.invalid/, 'not where it is: the page is public')
})

t.test('Accept: JSON only when it ranks above HTML', async (t) => {
  t.equal(prefersJson(undefined), false)
  t.equal(prefersJson('application/json'), true)
  t.equal(prefersJson('application/json, text/plain, */*'), true, 'axios')
  t.equal(prefersJson('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), false, 'a browser')
  t.equal(prefersJson('*/*'), false, 'curl')
  t.equal(prefersJson('text/html;q=0.5, application/json;q=0.9'), true)
  t.equal(prefersJson('application/*'), true)
})
