// src/jenkins/job-config.ts: config.xml rendering (a workflow-job flow-definition), template hash, read-back,
// and a round trip through the emulator's createItem / config.xml.
import t from 'tap'
import {
  escapeXml,
  jobNeedsRewrite,
  parseJobConfigXml,
  renderPipelineJobConfigXml,
  templateHash,
  type JobParameter,
} from '../../src/jenkins/job-config.js'
import { parseXml, child, childText } from '../../src/demo/jenkins-emulator/xml.js'
import { DOC_73_XML, emulator } from '../support/jenkins-emulator/fixtures.js'

const PARAMS: JobParameter[] = [
  { name: 'GIT_REF', type: 'string', default: 'main', description: 'branch or sha' },
  { name: 'TARGET', type: 'choice', choices: ['staging', 'production'], description: 'environment' },
  { name: 'DRY_RUN', type: 'boolean', default: false },
  { name: 'NOTES', type: 'text', default: 'line 1\nline 2' },
]
const SCRIPT = `pipeline { agent any; stages { stage('x') { steps { echo "a < b && c > 'd'" } } } }`

t.test('renders a flow-definition with its parameter definitions', async (t) => {
  const xml = renderPipelineJobConfigXml({ script: SCRIPT, parameters: PARAMS, description: 'shared template' })
  t.ok(xml.startsWith("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job\">\n"))
  const root = parseXml(xml)
  t.equal(root.name, 'flow-definition')
  t.same(
    root.children.map((c) => c.name),
    ['description', 'keepDependencies', 'properties', 'definition', 'triggers', 'disabled'],
  )
  const def = child(root, 'definition')
  t.equal(def?.attrs.class, 'org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition')
  t.equal(childText(def, 'script'), SCRIPT, 'script escaped and restored exactly')
  t.equal(childText(def, 'sandbox'), 'true')
  t.equal(childText(root, 'disabled'), 'false')
  const defs = child(
    child(child(root, 'properties'), 'hudson.model.ParametersDefinitionProperty'),
    'parameterDefinitions',
  )
  t.same(
    defs?.children.map((c) => c.name),
    [
      'hudson.model.StringParameterDefinition',
      'hudson.model.ChoiceParameterDefinition',
      'hudson.model.BooleanParameterDefinition',
      'hudson.model.TextParameterDefinition',
    ],
  )
  const [str, choice, bool, text] = defs?.children ?? []
  t.same(
    str?.children.map((c) => [c.name, c.text]),
    [
      ['name', 'GIT_REF'],
      ['description', 'branch or sha'],
      ['defaultValue', 'main'],
      ['trim', 'true'],
    ],
  )
  const choices = child(choice, 'choices')
  t.equal(choices?.attrs.class, 'java.util.Arrays$ArrayList')
  t.equal(child(choices, 'a')?.attrs.class, 'string-array')
  t.same(
    child(choices, 'a')?.children.map((c) => c.text),
    ['staging', 'production'],
  )
  t.equal(childText(bool, 'defaultValue'), 'false')
  t.equal(childText(text, 'defaultValue'), 'line 1\nline 2')
  t.match(
    xml,
    '<script>pipeline { agent any; stages { stage(&apos;x&apos;) { steps { echo &quot;a &lt; b &amp;&amp; c &gt; &apos;d&apos;&quot; } } } }</script>',
  )

  const none = renderPipelineJobConfigXml({ script: 'echo 1', parameters: [], description: '' })
  t.match(none, '\n  <properties/>\n')
})

t.test('choice default comes first (Jenkins uses the first choice)', async (t) => {
  const xml = renderPipelineJobConfigXml({
    script: 's',
    parameters: [{ name: 'ENV', type: 'choice', choices: ['a', 'b', 'c'], default: 'b' }],
    description: '',
  })
  t.match(xml, /<string>b<\/string>\s*<string>a<\/string>\s*<string>c<\/string>/)
})

t.test('invalid definitions are refused', async (t) => {
  const bad =
    (parameters: JobParameter[], script = 's') =>
    () =>
      renderPipelineJobConfigXml({ script, parameters, description: '' })
  t.throws(
    bad([
      { name: 'A', type: 'string' },
      { name: 'A', type: 'string' },
    ]),
    /duplicate parameter A/,
  )
  t.throws(bad([{ name: 'has space', type: 'string' }]), /invalid parameter name/)
  t.throws(bad([{ name: 'C', type: 'choice' }]), /needs choices/)
  t.throws(bad([{ name: 'C', type: 'choice', choices: ['x'], default: 'y' }]), /not one of its choices/)
  t.throws(bad([], 'a\0b'), /NUL/)
  t.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;')
})

t.test('templateHash: template + parameters, not the description', async (t) => {
  const base = { script: SCRIPT, parameters: PARAMS }
  const h = templateHash(base)
  t.match(h, /^[0-9a-f]{64}$/)
  t.equal(templateHash({ script: SCRIPT, parameters: PARAMS.map((p) => ({ ...p })) }), h, 'deterministic')
  t.not(templateHash({ ...base, script: `${SCRIPT} ` }), h, 'script change')
  t.not(
    templateHash({ ...base, parameters: [{ ...PARAMS[0], default: 'dev' } as JobParameter, ...PARAMS.slice(1)] }),
    h,
    'default change',
  )
  t.not(templateHash({ ...base, parameters: [...PARAMS].reverse() }), h, 'order change')
  t.not(templateHash({ ...base, parameters: PARAMS.slice(1) }), h, 'parameter removed')
  const a = renderPipelineJobConfigXml({ ...base, description: 'one' })
  const b = renderPipelineJobConfigXml({ ...base, description: 'two' })
  t.equal(parseJobConfigXml(a).templateHash, h)
  t.equal(parseJobConfigXml(b).templateHash, h)
})

t.test('parseJobConfigXml reads back description, hash, parameters, script', async (t) => {
  const xml = renderPipelineJobConfigXml({
    script: SCRIPT,
    parameters: PARAMS,
    description: 'Tamer <data-science> & co',
  })
  const parsed = parseJobConfigXml(xml)
  t.equal(parsed.rootElement, 'flow-definition')
  t.match(parsed.description, /^Tamer <data-science> & co\n\ntamer-template-sha256:[0-9a-f]{64}$/)
  t.same(parsed.parameters, [
    { name: 'GIT_REF', type: 'string' },
    { name: 'TARGET', type: 'choice' },
    { name: 'DRY_RUN', type: 'boolean' },
    { name: 'NOTES', type: 'text' },
  ])
  t.equal(parsed.script, SCRIPT)
  t.equal(parsed.sandbox, true)

  const doc = parseJobConfigXml(
    DOC_73_XML.replace("<?xml version='1.1' encoding='UTF-8'?>", '<?xml version="1.1" encoding="UTF-8"?>'),
  )
  t.equal(doc.description, 'shared template')
  t.equal(doc.templateHash, null, 'a job Tamer did not write has no hash')
  t.same(
    doc.parameters.map((p) => p.name),
    ['GIT_REF', 'TARGET', 'DRY_RUN'],
  )

  t.equal(jobNeedsRewrite(null, { script: SCRIPT, parameters: PARAMS }), true, 'missing job')
  t.equal(jobNeedsRewrite(DOC_73_XML, { script: SCRIPT, parameters: PARAMS }), true, 'foreign job')
  t.equal(jobNeedsRewrite(xml, { script: SCRIPT, parameters: PARAMS }), false, 'unchanged')
  t.equal(jobNeedsRewrite(xml, { script: `${SCRIPT}\n`, parameters: PARAMS }), true, 'template changed')
})

t.test('round trip through the emulator: createItem, config.xml, job JSON', async (t) => {
  const j = await emulator(t)
  const xml = renderPipelineJobConfigXml({ script: SCRIPT, parameters: PARAMS, description: 'Tamer template' })
  const created = await j.call('/createItem?name=ds', {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: xml,
  })
  t.equal(created.status, 200)
  const back = parseJobConfigXml((await j.call('/job/ds/config.xml')).body)
  t.equal(back.templateHash, templateHash({ script: SCRIPT, parameters: PARAMS }))
  t.same(
    back.parameters.map((p) => p.name),
    PARAMS.map((p) => p.name),
  )
  t.equal(back.script, SCRIPT)

  const job = (await j.call('/job/ds/api/json')).json()
  t.match(job.description, /tamer-template-sha256:[0-9a-f]{64}$/)
  const defs = job.property[0].parameterDefinitions
  t.same(
    defs.map((d: { _class: string }) => d._class),
    [
      'hudson.model.StringParameterDefinition',
      'hudson.model.ChoiceParameterDefinition',
      'hudson.model.BooleanParameterDefinition',
      'hudson.model.TextParameterDefinition',
    ],
  )
  t.same(defs[1].choices, ['staging', 'production'])
  t.equal(defs[2].defaultParameterValue.value, false)
  t.equal(defs[3].defaultParameterValue.value, 'line 1\nline 2')

  // update only when changed: the sync decision on the read-back XML
  const current = (await j.call('/job/ds/config.xml')).body
  t.equal(jobNeedsRewrite(current, { script: SCRIPT, parameters: PARAMS }), false)
  const next = [...PARAMS, { name: 'EXTRA', type: 'string', default: 'x' } as JobParameter]
  t.equal(jobNeedsRewrite(current, { script: SCRIPT, parameters: next }), true)
  const upd = await j.call('/job/ds/config.xml', {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: renderPipelineJobConfigXml({ script: SCRIPT, parameters: next, description: 'Tamer template' }),
  })
  t.equal(upd.status, 200)
  const after = (await j.call('/job/ds/api/json?tree=property[parameterDefinitions[name]]')).json()
  t.same(
    after.property[0].parameterDefinitions.map((d: { name: string }) => d.name),
    [...PARAMS.map((p) => p.name), 'EXTRA'],
  )

  const b = await j.call('/job/ds/buildWithParameters?TARGET=production', { method: 'POST' })
  t.equal(b.status, 201)
  const item = (await j.call(`${new URL(b.header('location') ?? '').pathname}api/json`)).json()
  t.equal(item.params, '\nGIT_REF=main\nTARGET=production\nDRY_RUN=false\nNOTES=line 1\nline 2\nEXTRA=x')
})
