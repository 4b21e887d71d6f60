/**
 * The messages pycti publishes for one bundle (opencti-protocol.md §7.3, §7.4, §12): one message per
 * object, in dependency order, each carrying a one-object bundle in base64. OpenCTI's worker imports a
 * one-object message as it is, so the connector itself announces the expectations (one per message).
 */
import { Option } from "effect"
import { dependencyCounts, orderForQueue } from "../stix/QueueOrder.js"
import type { StixBundle, StixObject } from "../stix/StixObject.js"

/** The body of one message; `work_id` is present only when there is a work, as pycti writes it. */
export interface QueueEnvelope {
  readonly bundle_type: "QUEUE_BUNDLE"
  /** The registration's `connector_user_id`: the worker imports as this user. */
  readonly applicant_id: string | null
  /** 1-based position of the message within the bundle. */
  readonly action_sequence: number
  /** Empty: import every type. */
  readonly entities_types: ReadonlyArray<string>
  /** base64 of the UTF-8 JSON of the one-object bundle. */
  readonly content: string
  readonly update: boolean
  readonly draft_id: null
  readonly work_id?: string
}

/** The one-object bundle pycti's splitter emits, with the object's dependency depth as `x_opencti_seq`. */
export interface SplitBundle {
  readonly type: "bundle"
  readonly id: string
  readonly spec_version: "2.1"
  readonly x_opencti_seq: number
  readonly objects: readonly [StixObject]
}

/** Every object of the bundle as its own split bundle, in publishing order. */
export const splitBundle = (bundle: StixBundle): Array<SplitBundle> => {
  const counts = dependencyCounts(bundle.objects)
  return orderForQueue(bundle).map((object) => ({
    type: "bundle",
    id: bundle.id,
    spec_version: "2.1",
    x_opencti_seq: counts.get(object.id) ?? 1,
    objects: [object]
  }))
}

/** A bundle's messages, encoded one at a time so that publishing can start before all are built. */
export interface QueueMessages {
  /** The number of messages, which is also the number of expectations. */
  readonly count: number
  /** The body of message `index` (0-based), in publishing order. */
  readonly body: (index: number) => Buffer
}

export const encodeQueueMessages = (
  bundle: StixBundle,
  applicantId: string | null,
  workId: Option.Option<string>
): QueueMessages => {
  const split = splitBundle(bundle)
  const work = Option.match(workId, { onNone: () => ({}), onSome: (id) => ({ work_id: id }) })
  return {
    count: split.length,
    body: (index) => {
      const envelope: QueueEnvelope = {
        bundle_type: "QUEUE_BUNDLE",
        applicant_id: applicantId,
        action_sequence: index + 1,
        entities_types: [],
        content: Buffer.from(JSON.stringify(split[index]), "utf8").toString("base64"),
        update: false,
        draft_id: null,
        ...work
      }
      return Buffer.from(JSON.stringify(envelope), "utf8")
    }
  }
}

/** All message bodies of a bundle, in publishing order. */
export const queueMessages = (
  bundle: StixBundle,
  applicantId: string | null,
  workId: Option.Option<string>
): Array<Buffer> => {
  const messages = encodeQueueMessages(bundle, applicantId, workId)
  return Array.from({ length: messages.count }, (_, index) => messages.body(index))
}
