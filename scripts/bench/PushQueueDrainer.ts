/**
 * Empties a connector's push queue while the connector fills it, as OpenCTI's workers do, so that the
 * broker never holds a whole import (it would page messages to disk and slow publishing down). Messages
 * are counted and acknowledged in batches, never decoded: the benchmark measures the connector, and this
 * consumer must stay cheap beside it on the same machine. With `ratePerSecond`, it stands in for workers slower
 * than the connector: messages are acknowledged no faster than that, the rest wait in the queue.
 */
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib"

export interface PushQueueDrainer {
  /** Messages consumed (acknowledged) so far. */
  readonly consumed: () => number
  /** Messages delivered to this consumer and not acknowledged yet: the broker still counts them in the queue. */
  readonly unacknowledged: () => number
  /** Mean size of the messages delivered so far, in bytes (0 before the first). */
  readonly meanMessageBytes: () => number
  /** `performance.now()` when the first message arrived, if one did. */
  readonly firstMessageAt: () => number | undefined
  /** Resolves once `count` messages were consumed; rejects after `timeoutMs` without progress. */
  readonly waitFor: (count: number, timeoutMs: number) => Promise<void>
  readonly close: () => Promise<void>
}

const PREFETCH = 2000
const ACK_EVERY = 200
const ACK_INTERVAL_MS = 50

/**
 * Starts consuming `queue` as soon as `ready()` holds (the platform declares the queue when the connector
 * registers, so it may not exist yet).
 */
export const startPushQueueDrainer = async (
  amqpUrl: string,
  queue: string,
  ready: () => boolean,
  options: { readonly ratePerSecond?: number } = {}
): Promise<PushQueueDrainer> => {
  const rate = options.ratePerSecond
  // Without noDelay, Nagle's algorithm delays the batched acks.
  const model: ChannelModel = await amqp.connect(amqpUrl, { noDelay: true })
  model.on("error", () => undefined)
  let channel: Channel | undefined
  let consumed = 0
  let delivered = 0
  let deliveredBytes = 0
  let firstMessageAt: number | undefined
  let unacked: ConsumeMessage | undefined
  let closed = false
  // Rate-limited: the delivered messages in order, acknowledged from the front as the budget allows.
  const waiting: Array<ConsumeMessage> = []
  let budget = 0
  let budgetAt = performance.now()

  const ackPending = () => {
    if (rate !== undefined) {
      const now = performance.now()
      budget = Math.min(budget + (now - budgetAt) * rate / 1000, rate)
      budgetAt = now
      const count = Math.min(Math.floor(budget), waiting.length)
      if (count === 0 || channel === undefined) return
      channel.ack(waiting[count - 1]!, true)
      waiting.splice(0, count)
      budget -= count
      consumed += count
      return
    }
    if (unacked !== undefined && channel !== undefined) channel.ack(unacked, true)
    unacked = undefined
  }
  const acker = setInterval(ackPending, ACK_INTERVAL_MS)

  const consume = async () => {
    while (!ready()) {
      if (closed) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    channel = await model.createChannel()
    channel.on("error", () => undefined)
    // A slow consumer holds about a second of messages, as a worker holds its prefetch.
    await channel.prefetch(rate === undefined ? PREFETCH : Math.max(50, Math.ceil(rate)))
    await channel.consume(queue, (message) => {
      if (message === null) return
      firstMessageAt ??= performance.now()
      delivered++
      deliveredBytes += message.content.length
      if (rate !== undefined) {
        waiting.push(message)
        return
      }
      consumed++
      unacked = message
      if (consumed % ACK_EVERY === 0) ackPending()
    })
  }
  const consuming = consume()

  return {
    consumed: () => consumed,
    unacknowledged: () => delivered - consumed,
    meanMessageBytes: () => delivered === 0 ? 0 : deliveredBytes / delivered,
    firstMessageAt: () => firstMessageAt,
    waitFor: async (count, timeoutMs) => {
      await consuming
      let lastProgress = performance.now()
      let lastCount = consumed
      while (consumed < count) {
        if (consumed !== lastCount) {
          lastCount = consumed
          lastProgress = performance.now()
        } else if (performance.now() - lastProgress > timeoutMs) {
          throw new Error(`the push queue stopped delivering: ${consumed} of ${count} messages consumed`)
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: async () => {
      closed = true
      clearInterval(acker)
      await consuming.catch(() => undefined)
      ackPending()
      await model.close().catch(() => undefined)
    }
  }
}
