// The registry of channels: the one place a new platform is added.
import type { ChatChannelConfig, NotificationsConfig } from '../../config/notifications-schema.js'
import type { NotificationChannel } from '../channel.js'
import { createEmailChannel, smtpConfigured } from './email.js'
import { createGoogleChatChannel } from './google-chat.js'
import { createMattermostChannel } from './mattermost.js'
import { createSlackChannel } from './slack.js'
import { createTeamsChannel } from './teams.js'
import { createWebhookChannel } from './webhook.js'

type ChatFactory = (c: ChatChannelConfig, o: { timeoutMs: number; now?: () => number }) => NotificationChannel

const CHAT: Record<ChatChannelConfig['type'], ChatFactory> = {
  slack: createSlackChannel,
  teams: createTeamsChannel,
  mattermost: createMattermostChannel,
  'google-chat': createGoogleChatChannel,
  webhook: createWebhookChannel,
}

export type ChannelRegistry = ReadonlyMap<string, NotificationChannel>

/** `email` when SMTP is configured, and every chat channel by its name. */
export function createChannels(c: NotificationsConfig, o: { now?: () => number } = {}): ChannelRegistry {
  const out = new Map<string, NotificationChannel>()
  if (smtpConfigured(c.smtp)) out.set('email', createEmailChannel(c.smtp))
  for (const ch of c.channels) out.set(ch.name, CHAT[ch.type](ch, { timeoutMs: c.timeoutMs, now: o.now }))
  return out
}

export function closeChannels(channels: ChannelRegistry): void {
  for (const ch of channels.values()) ch.close?.()
}
