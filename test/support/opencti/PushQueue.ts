/**
 * Reads a connector's push queue the way OpenCTI's worker does (docs/opencti-protocol.md, "How the worker reads
 * messages"): each message is a JSON envelope whose `content` is a base64 STIX bundle; a bundle without objects is
 * an error.
 */
import amqp, { type Channel } from "amqplib"
import { LOCAL_AMQP_URL } from "./OpenCtiStandIn.js"

export interface DrainedMessage {
  /** The envelope, with `content` as sent (base64). */
  readonly envelope: Record<string, unknown>
  /** The decoded `content`. */
  readonly bundle: {
    readonly type: string
    readonly id: string
    readonly objects: ReadonlyArray<any>
    [k: string]: unknown
  }
  readonly properties: { readonly deliveryMode?: number; readonly contentEncoding?: string }
}

export interface Drained {
  readonly messages: ReadonlyArray<DrainedMessage>
  /** Every object of every message, in queue order. */
  readonly objects: ReadonlyArray<{ readonly id: string; readonly type: string; [k: string]: unknown }>
}

const decode = (content: Buffer, properties: DrainedMessage["properties"], position: number): DrainedMessage => {
  const envelope = JSON.parse(content.toString("utf8")) as Record<string, unknown>
  const bundle = JSON.parse(Buffer.from(String(envelope.content), "base64").toString("utf8"))
  if (!Array.isArray(bundle.objects) || bundle.objects.length === 0) {
    throw new Error(`message ${position} carries a bundle without objects`)
  }
  return { envelope, bundle, properties }
}

/**
 * Takes (and acknowledges) messages of the queue: with `expected`, until that many were read; with
 * `until`, until it holds for the messages read; otherwise the messages the queue holds when called.
 * Gives up waiting after `timeoutMs` (10 s), returning what was read.
 */
export const drainPushQueue = async (
  queue: string,
  options: {
    readonly expected?: number
    readonly until?: (messages: ReadonlyArray<DrainedMessage>) => boolean
    readonly timeoutMs?: number
    readonly amqpUrl?: string
  } = {}
): Promise<Drained> => {
  // Without noDelay, Nagle's algorithm and delayed ACKs make each round trip take ~40 ms.
  const model = await amqp.connect(options.amqpUrl ?? LOCAL_AMQP_URL, { noDelay: true })
  let channel: Channel | undefined
  try {
    channel = await model.createChannel()
    const messages: Array<DrainedMessage> = []
    const count = options.expected ?? (options.until ? Infinity : (await channel.checkQueue(queue)).messageCount)
    const done = () => messages.length >= count || (options.until?.(messages) ?? false)
    if (!done()) {
      await channel.prefetch(500)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, options.timeoutMs ?? 10_000)
        channel!.consume(queue, (message) => {
          if (message === null || done()) return
          try {
            messages.push(decode(message.content, message.properties, messages.length + 1))
          } catch (error) {
            clearTimeout(timer)
            reject(error)
            return
          }
          channel!.ack(message)
          if (done()) {
            clearTimeout(timer)
            resolve()
          }
        }).catch(reject)
      })
    }
    return { messages, objects: messages.flatMap((message) => message.bundle.objects) }
  } finally {
    // Closing the channel first waits for the broker to process every ack sent on it; closing only the
    // connection can overtake acks still buffered, and the broker then requeues those messages.
    await channel?.close().catch(() => undefined)
    await model.close().catch(() => undefined)
  }
}
