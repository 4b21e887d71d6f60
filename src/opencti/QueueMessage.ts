/**
 * The messages pycti publishes for one bundle (docs/opencti-protocol.md, "The message envelope" and "Message order
 * and splitting"): one message per object, in dependency order, each carrying a one-object bundle in base64.
 * OpenCTI's worker imports a one-object message as it is, so the connector itself announces the expectations (one
 * per message).
 */
import { Option } from "effect"
import { queueOrder } from "../stix/QueueOrder.js"
import type { StixBundle } from "../stix/StixObject.js"

/** A bundle's messages, encoded one at a time so that publishing can start before all are built. */
export interface QueueMessages {
  /** The number of messages, which is also the number of expectations. */
  readonly count: number
  /** The body of message `index` (0-based), in publishing order. */
  readonly body: (index: number) => Buffer
}

/**
 * Writes envelopes around base64 content. The envelope is JSON with pycti's keys in pycti's order; only
 * `action_sequence` and `content` change from one message to the next, and base64 never needs JSON
 * escaping, so the fixed parts are written once per bundle and the content is copied in as bytes
 * (JSON.stringify of the envelope would scan the whole base64 text again).
 */
const envelopeWriter = (applicantId: string | null, workId: Option.Option<string>) => {
  const head = Buffer.from(
    `{"bundle_type":"QUEUE_BUNDLE","applicant_id":${JSON.stringify(applicantId)},"action_sequence":`,
    "utf8"
  )
  const middle = Buffer.from(`,"entities_types":[],"content":"`, "utf8")
  const tail = Buffer.from(
    `","update":false,"draft_id":null${
      Option.match(workId, { onNone: () => "", onSome: (id) => `,"work_id":${JSON.stringify(id)}` })
    }}`,
    "utf8"
  )
  return (sequence: number, content: Buffer): Buffer => {
    const number = String(sequence)
    const base64Length = Math.ceil(content.length / 3) * 4
    const body = Buffer.allocUnsafe(head.length + number.length + middle.length + base64Length + tail.length)
    let at = head.copy(body, 0)
    at += body.write(number, at, "latin1")
    at += middle.copy(body, at)
    at += body.write(content.toString("base64"), at, "latin1")
    tail.copy(body, at)
    return body
  }
}

export const encodeQueueMessages = (
  bundle: StixBundle,
  applicantId: string | null,
  workId: Option.Option<string>
): QueueMessages => {
  const { counts, objects } = queueOrder(bundle)
  const envelope = envelopeWriter(applicantId, workId)
  // pycti's split bundle around the object: {"type","id","spec_version","x_opencti_seq","objects":[object]}.
  const splitHead = `{"type":"bundle","id":${JSON.stringify(bundle.id)},"spec_version":"2.1","x_opencti_seq":`
  return {
    count: objects.length,
    body: (index) => {
      const object = objects[index]!
      const split = `${splitHead}${counts.get(object.id) ?? 1},"objects":[${JSON.stringify(object)}]}`
      return envelope(index + 1, Buffer.from(split, "utf8"))
    }
  }
}

/**
 * The whole bundle as one message, for OpenCTI's worker to split (docs/opencti-protocol.md, "One message per
 * bundle"): it adds the expectations itself, so the sender must not. Not pycti's way; see
 * `AmqpSinkOptions.messages`.
 */
export const encodeBundleMessage = (
  bundle: StixBundle,
  applicantId: string | null,
  workId: Option.Option<string>
): Buffer => {
  const json = `{"type":"bundle","id":${JSON.stringify(bundle.id)},"spec_version":"2.1","objects":${
    JSON.stringify(bundle.objects)
  }}`
  return envelopeWriter(applicantId, workId)(1, Buffer.from(json, "utf8"))
}
