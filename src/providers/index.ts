// The registry of git hosts: adding one is a folder and a line here.
import type { Config } from '../config/schema.js'
import { createBitbucketProvider } from './bitbucket.js'
import { createGitHubProvider } from './github/index.js'
import { createGitLabProvider } from './gitlab/index.js'
import type { WebhookProvider } from './provider.js'

export function createProviders(config: Config): WebhookProvider[] {
  return [
    createGitHubProvider(config.providers.github),
    createGitLabProvider(config.providers.gitlab),
    createBitbucketProvider(config.providers.bitbucket),
  ]
}

export type { WebhookProvider } from './provider.js'
