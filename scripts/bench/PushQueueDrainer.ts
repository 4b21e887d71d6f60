/**
 * Empties a connector's push queue while the connector fills it, as OpenCTI's workers do, so that the
 * broker never holds a whole import (it would page messages to disk and slow publishing down). Messages
 * are counted and acknowledged in batches, never decoded: the benchmark measures the connector, and this
 * consumer must stay cheap beside it on the same machine.
 */
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib"

export interface PushQueueDrainer {
  /** Messages consumed so far. */
  readonly consumed: () => number
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
  ready: () => boolean
): Promise<PushQueueDrainer> => {
  // Without noDelay, Nagle's algorithm delays the batched acks.
  const model: ChannelModel = await amqp.connect(amqpUrl, { noDelay: true })
  model.on("error", () => undefined)
  let channel: Channel | undefined
  let consumed = 0
  let firstMessageAt: number | undefined
  let unacked: ConsumeMessage | undefined
  let closed = false

  const ackPending = () => {
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
    await channel.prefetch(PREFETCH)
    await channel.consume(queue, (message) => {
      if (message === null) return
      firstMessageAt ??= performance.now()
      consumed++
      unacked = message
      if (consumed % ACK_EVERY === 0) ackPending()
    })
  }
  const consuming = consume()

  return {
    consumed: () => consumed,
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
