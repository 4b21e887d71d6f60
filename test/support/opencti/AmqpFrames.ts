/**
 * Counts, from the bytes a TCP proxy forwards, the publishes a client sent and the confirms the broker
 * returned on one AMQP 0-9-1 connection, so that a test knows how many messages were confirmed when it cut
 * the connection. A frame is type (1 byte), channel (2), size (4), payload, 0xCE; a method frame's payload
 * starts with class and method ids (2 + 2). The client's side opens with the 8-byte protocol header.
 */

const FRAME_HEADER = 7
const METHOD_FRAME = 1
const BASIC_CLASS = 60
const BASIC_PUBLISH = 40
const BASIC_ACK = 80

/** Calls `onMethod(classId, methodId, arguments)` for every complete method frame of a byte stream. */
const methodScanner = (
  skip: number,
  onMethod: (classId: number, methodId: number, args: Buffer) => void
): (chunk: Buffer) => void => {
  let pending: Buffer = Buffer.alloc(0)
  let toSkip = skip
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    if (toSkip > 0) {
      const skipped = Math.min(toSkip, pending.length)
      toSkip -= skipped
      pending = pending.subarray(skipped)
    }
    while (pending.length >= FRAME_HEADER) {
      const size = pending.readUInt32BE(3)
      const end = FRAME_HEADER + size + 1
      if (pending.length < end) break
      if (pending[0] === METHOD_FRAME && size >= 4) {
        onMethod(pending.readUInt16BE(7), pending.readUInt16BE(9), pending.subarray(11, FRAME_HEADER + size))
      }
      pending = pending.subarray(end)
    }
  }
}

export interface AmqpFrameCounter {
  /** Feed with the bytes from the client to the broker. */
  readonly up: (chunk: Buffer) => void
  /** Feed with the bytes from the broker to the client. */
  readonly down: (chunk: Buffer) => void
  /** `basic.publish` frames the client sent. */
  readonly publishes: () => number
  /** Messages the broker confirmed (`basic.ack`, with `multiple` covering every tag up to its own). */
  readonly confirms: () => number
}

/** One counter per connection: delivery tags start at 1 on each confirm channel. */
export const amqpFrameCounter = (): AmqpFrameCounter => {
  let publishes = 0
  let confirmedUpTo = 0
  const confirmedSingly = new Set<number>()
  const up = methodScanner(8, (classId, methodId) => {
    if (classId === BASIC_CLASS && methodId === BASIC_PUBLISH) publishes++
  })
  const down = methodScanner(0, (classId, methodId, args) => {
    if (classId !== BASIC_CLASS || methodId !== BASIC_ACK) return
    const tag = Number(args.readBigUInt64BE(0))
    if ((args[8]! & 1) === 0) {
      if (tag > confirmedUpTo) confirmedSingly.add(tag)
      return
    }
    confirmedUpTo = Math.max(confirmedUpTo, tag)
    for (const single of confirmedSingly) if (single <= confirmedUpTo) confirmedSingly.delete(single)
  })
  return { up, down, publishes: () => publishes, confirms: () => confirmedUpTo + confirmedSingly.size }
}
