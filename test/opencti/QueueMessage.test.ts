import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { encodeBundleMessage, encodeQueueMessages } from "../../src/opencti/QueueMessage.js"
import { queueOrder } from "../../src/stix/QueueOrder.js"
import type { StixBundle, StixObject } from "../../src/stix/StixObject.js"

const MARKING = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
const AUTHOR = "identity--115e787b-4b83-59ef-b350-aeb7b1736c74"
const BUNDLE: StixBundle = {
  type: "bundle",
  id: "bundle--0d3c5a1e-8b4e-4f62-9d0a-6a4c2b7e9f10",
  objects: [
    { type: "relationship", id: "relationship--r", source_ref: "email-addr--e", target_ref: "incident--i" },
    {
      type: "incident",
      id: "incident--i",
      name: "Zoë's breach",
      created_by_ref: AUTHOR,
      object_marking_refs: [MARKING]
    },
    { type: "email-addr", id: "email-addr--e", value: "zoë@example.com", belongs_to_ref: "user-account--u" },
    { type: "user-account", id: "user-account--u", account_login: "zoe", x_opencti_created_by_ref: AUTHOR },
    { type: "identity", id: AUTHOR, name: "SpyCloud", object_marking_refs: [MARKING] },
    { type: "marking-definition", id: MARKING }
  ]
}

/** All message bodies of a bundle, in publishing order. */
const queueMessages = (bundle: StixBundle, applicantId: string | null, workId: Option.Option<string>) => {
  const messages = encodeQueueMessages(bundle, applicantId, workId)
  return Array.from({ length: messages.count }, (_, index) => messages.body(index))
}

/** pycti's split bundles (one object each, its dependency depth as x_opencti_seq), built the plain way. */
const splitBundle = (bundle: StixBundle) => {
  const { counts, objects } = queueOrder(bundle)
  return objects.map((object) => ({
    type: "bundle",
    id: bundle.id,
    spec_version: "2.1",
    x_opencti_seq: counts.get(object.id) ?? 1,
    objects: [object]
  }))
}

const decode = (body: Buffer) => {
  const envelope = JSON.parse(body.toString("utf8"))
  return { envelope, bundle: JSON.parse(Buffer.from(envelope.content, "base64").toString("utf8")) }
}

const refsOf = (object: StixObject) =>
  Object.entries(object).flatMap(([key, value]) =>
    key.endsWith("_ref") ? [value] : key.endsWith("_refs") && Array.isArray(value) ? value : []
  )

describe("queue messages", () => {
  it("are pycti's envelope, one per object, numbered from 1, with work_id only when there is a work", () => {
    const withWork = queueMessages(BUNDLE, "user-1", Option.some("work_1")).map(decode)
    expect(withWork).toHaveLength(BUNDLE.objects.length)
    withWork.forEach(({ envelope }, index) => {
      expect(Object.keys(envelope)).toEqual([
        "bundle_type",
        "applicant_id",
        "action_sequence",
        "entities_types",
        "content",
        "update",
        "draft_id",
        "work_id"
      ])
      expect(envelope).toMatchObject({
        bundle_type: "QUEUE_BUNDLE",
        applicant_id: "user-1",
        action_sequence: index + 1,
        entities_types: [],
        update: false,
        draft_id: null,
        work_id: "work_1"
      })
    })
    for (const { envelope } of queueMessages(BUNDLE, null, Option.none()).map(decode)) {
      expect("work_id" in envelope).toBe(false)
      expect(envelope.applicant_id).toBeNull()
    }
  })

  it("carry each object, unchanged and UTF-8 intact, in a one-object bundle of the same id", () => {
    const decoded = queueMessages(BUNDLE, "u", Option.none()).map(decode)
    for (const { bundle } of decoded) {
      expect(Object.keys(bundle)).toEqual(["type", "id", "spec_version", "x_opencti_seq", "objects"])
      expect(bundle).toMatchObject({ type: "bundle", id: BUNDLE.id, spec_version: "2.1" })
      expect(bundle.objects).toHaveLength(1)
    }
    const sent = decoded.map(({ bundle }) => bundle.objects[0])
    expect([...sent].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...BUNDLE.objects].sort((a, b) => a.id.localeCompare(b.id))
    )
    expect(sent.find((object) => object.type === "incident").name).toBe("Zoë's breach")
  })

  it("come in dependency order: every reference inside the bundle was published earlier", () => {
    const split = queueMessages(BUNDLE, "u", Option.none()).map((body) => decode(body).bundle)
    const seen = new Set<string>()
    const inBundle = new Set(BUNDLE.objects.map((object) => object.id))
    for (const { objects: [object] } of split) {
      for (const ref of refsOf(object)) if (inBundle.has(ref as string)) expect(seen.has(ref as string)).toBe(true)
      seen.add(object.id)
    }
    const sequence = split.map((part) => part.x_opencti_seq)
    expect([...sequence].sort((a, b) => a - b)).toEqual(sequence)
    expect(split[0]!.x_opencti_seq).toBe(1)
  })

  it("are byte for byte what JSON.stringify writes for pycti's envelope and split bundle", () => {
    for (
      const [applicant, work] of [["user-1", Option.some("work_1")], [null, Option.none()], [
        "zoë",
        Option.some("w\"ö")
      ]] as const
    ) {
      const split = splitBundle(BUNDLE)
      queueMessages(BUNDLE, applicant, work).forEach((body, index) => {
        const expected = JSON.stringify({
          bundle_type: "QUEUE_BUNDLE",
          applicant_id: applicant,
          action_sequence: index + 1,
          entities_types: [],
          content: Buffer.from(JSON.stringify(split[index]), "utf8").toString("base64"),
          update: false,
          draft_id: null,
          ...Option.match(work, { onNone: () => ({}), onSome: (id) => ({ work_id: id }) })
        })
        expect(body.toString("utf8")).toBe(expected)
      })
    }
  })

  it("are none for an empty bundle", () => {
    expect(queueMessages({ ...BUNDLE, objects: [] }, "u", Option.some("w"))).toEqual([])
  })

  it("can also carry the whole bundle in one message, for OpenCTI's worker to split", () => {
    const { bundle, envelope } = decode(encodeBundleMessage(BUNDLE, "user-1", Option.some("work_1")))
    expect(envelope).toMatchObject({
      bundle_type: "QUEUE_BUNDLE",
      applicant_id: "user-1",
      action_sequence: 1,
      work_id: "work_1"
    })
    expect(Object.keys(bundle)).toEqual(["type", "id", "spec_version", "objects"])
    expect(bundle).toEqual({ type: "bundle", id: BUNDLE.id, spec_version: "2.1", objects: BUNDLE.objects })
  })
})
