import {
  startJenkinsEmulator,
  DEFAULT_USER,
  type JenkinsEmulator,
  type JenkinsEmulatorOptions,
} from '../../../src/demo/jenkins-emulator/index.js'
import { basic, raw, type RawRequest, type RawResponse } from './http-client.js'
import { renderPipelineJobConfigXml, type JobParameter } from '../../../src/jenkins/job-config.js'

/** A composed Pipeline job config.xml (flow-definition with parameters and a CpsFlowDefinition script). */
export const DOC_73_XML = `<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>shared template</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.StringParameterDefinition>
          <name>GIT_REF</name>
          <description>branch or sha</description>
          <defaultValue>main</defaultValue>
          <trim>true</trim>
        </hudson.model.StringParameterDefinition>
        <hudson.model.ChoiceParameterDefinition>
          <name>TARGET</name>
          <description>environment</description>
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array">
              <string>staging</string>
              <string>production</string>
            </a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>
        <hudson.model.BooleanParameterDefinition>
          <name>DRY_RUN</name>
          <description></description>
          <defaultValue>false</defaultValue>
        </hudson.model.BooleanParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>echo "ref=\${params.GIT_REF} target=\${params.TARGET} dry=\${params.DRY_RUN}"</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>false</disabled>
</flow-definition>
`

/**
 * A minimal real Pipeline config.xml (no parameters): jenkinsci/workflow-job-plugin
 * src/test/resources/org/jenkinsci/plugins/workflow/job/WorkflowRunTest/maxResumptionAge/jobs/p/config.xml.
 */
export const MINIMAL_XML = `<?xml version='1.1' encoding='UTF-8'?>
<flow-definition>
  <keepDependencies>false</keepDependencies>
  <properties/>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps@4259.vf653c2b_8a_b_69">
    <script>input &apos;hangs forever&apos;</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>false</disabled>
</flow-definition>
`

export const FOLDER_XML = `<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder">
  <description>team folder</description>
  <properties/>
</com.cloudbees.hudson.plugins.folder.Folder>
`

export const PUSH_PARAMS: JobParameter[] = [
  { name: 'COMMIT_SHA', type: 'string', default: '' },
  { name: 'DELIVERY_ID', type: 'string', default: '' },
  { name: 'BRANCH', type: 'string', default: 'main' },
]

export function pushJobXml(extra: JobParameter[] = []): string {
  return renderPipelineJobConfigXml({
    script: 'echo "hi"',
    parameters: [...PUSH_PARAMS, ...extra],
    description: 'push job',
  })
}

export const TOKEN = basic(DEFAULT_USER.id, DEFAULT_USER.apiToken)
export const PASSWORD = basic(DEFAULT_USER.id, DEFAULT_USER.password)

interface TapLike {
  teardown(fn: () => unknown): void
}

export async function emulator(
  t: TapLike,
  opts: JenkinsEmulatorOptions = {},
): Promise<JenkinsEmulator & { call(path: string, o?: RawRequest): Promise<RawResponse> }> {
  const emu = await startJenkinsEmulator(opts)
  t.teardown(() => emu.close())
  return Object.assign(emu, { call: (path: string, o: RawRequest = {}) => raw(emu.url, path, { auth: TOKEN, ...o }) })
}

export function queueIdOf(location: string | undefined): number {
  const m = /\/queue\/item\/(\d+)\/$/.exec(location ?? '')
  if (!m) throw new Error(`not a queue Location: ${location}`)
  return Number(m[1])
}
