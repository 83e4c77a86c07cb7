// `tamer notify test --channel NAME [--to ADDRESS]`: sends a sample notice straight through one
// configured channel (not through the outbox) and says what the peer answered.
import { randomUUID } from 'node:crypto'
import type { Config } from '../config/schema.js'
import { recipientList } from './addresses.js'
import { SendFailure } from './channel.js'
import { closeChannels, createChannels, type ChannelRegistry } from './channels/index.js'
import { maskSecrets, secretValues } from '../security/secrets.js'
import { sampleNotice } from './sample.js'

export async function notifyTest(
  config: Config,
  o: { channel: string; to: string[]; channels?: ChannelRegistry },
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const channels = o.channels ?? createChannels(config.notifications)
  try {
    const channel = channels.get(o.channel)
    if (!channel) {
      const known = [...channels.keys()]
      err(
        `tamer: no channel ${o.channel} is configured${known.length ? ` (configured: ${known.join(', ')})` : ' (none is: see notifications.smtp and notifications.channels)'}\n`,
      )
      return 2
    }
    const fallback = config.notifications.rules.flatMap((r) => r.to)
    const recipients = recipientList(o.to.length ? o.to : fallback, config.notifications.maxRecipients).addresses
    if (channel.kind === 'email' && recipients.length === 0) {
      err('tamer: give a recipient with --to ADDRESS (or a rule with to: […])\n')
      return 2
    }
    const id = randomUUID()
    const rendered = channel.render(sampleNotice(), { notificationId: id, threadKey: 'tamer notify test', recipients })
    try {
      const receipt = await channel.send(rendered.payload, { notificationId: id, recipients })
      out(`sent "${rendered.subject}" through ${channel.name} (${channel.kind}): ${receipt.acceptedBy}\n`)
      return 0
    } catch (e) {
      const message = e instanceof SendFailure ? e.message : (e as Error).message
      err(
        `tamer: ${channel.name} (${channel.kind}) did not take the notice: ${maskSecrets(message, secretValues(config))}\n`,
      )
      return 1
    }
  } finally {
    if (!o.channels) closeChannels(channels)
  }
}
