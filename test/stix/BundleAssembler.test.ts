import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Option } from "effect"
import type { BreachRecord } from "../../src/spycloud/BreachRecord.js"
import { mapBreachRecord } from "../../src/stix/BreachRecordMapper.js"
import { assembleBundles, makeBundlePacker } from "../../src/stix/BundleAssembler.js"
import { makeMappingContext } from "../../src/stix/MappingContext.js"
import { queueOrder } from "../../src/stix/QueueOrder.js"
import type { StixObject } from "../../src/stix/StixObject.js"
import { catalog67701, malwareRecord } from "../fixtures/stix/records.js"
import { describeWithShared } from "../support/Shared.js"
import { assertValidBundle } from "../support/StixValidator.js"

const context = makeMappingContext({ connectorName: "SpyCloud", tlp: "amber+strict", includeSensitiveData: false })

const objectsOf = (record: BreachRecord): ReadonlyArray<StixObject> => {
  const mapping = mapBreachRecord(record, Option.some(catalog67701), context)
  if (mapping._tag !== "Mapped") throw new Error(mapping.reason)
  return mapping.objects
}

/** Records sharing the email and URL of `malwareRecord`, each with its own document id and IP. */
const records = (count: number): Array<ReadonlyArray<StixObject>> =>
  Array.from({ length: count }, (_, i) =>
    objectsOf({
      ...malwareRecord,
      document_id: `doc-${i}`,
      ip_addresses: [`10.0.${Math.floor(i / 256)}.${i % 256}`]
    }))

/** A fake record: one object per id given. */
const fake = (...ids: Array<string>): Array<StixObject> => ids.map((id) => ({ type: id.split("--")[0]!, id }))

const sequentialIds = () => {
  let n = 0
  return () => `bundle--00000000-0000-4000-8000-${String(n++).padStart(12, "0")}`
}

describe("assembleBundles", () => {
  it("starts every bundle with the author and the marking, and keeps within the bound", () => {
    const input = records(10)
    const perRecord = input[0]!.length
    const bundles = assembleBundles(input, context, 2 + 3 * perRecord)
    expect(bundles.length).toBeGreaterThan(1)
    for (const bundle of bundles) {
      expect(bundle.type).toBe("bundle")
      expect(bundle.id).toMatch(/^bundle--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(bundle.objects.slice(0, 2)).toStrictEqual([context.author, context.marking])
      expect(bundle.objects.length).toBeLessThanOrEqual(2 + 3 * perRecord)
    }
    expect(new Set(bundles.map((bundle) => bundle.id)).size).toBe(bundles.length)
  })

  it("never splits a record, loses an object or repeats an id within a bundle", () => {
    const input = records(25)
    const bundles = assembleBundles(input, context, 40)
    const placed = new Map<string, number>()
    bundles.forEach((bundle, index) => {
      const ids = bundle.objects.map((object) => object.id)
      expect(new Set(ids).size).toBe(ids.length)
      for (const id of ids) if (!placed.has(id)) placed.set(id, index)
    })
    for (const recordObjects of input) {
      const incident = recordObjects[0]!.id
      const bundle = bundles[placed.get(incident)!]!
      for (const object of recordObjects) expect(bundle.objects.map((o) => o.id)).toContain(object.id)
    }
  })

  it("shares an observable between the records of a bundle, keeping the last record's content at the first place", () => {
    const first = [{ type: "email-addr", id: "email-addr--1", display_name: "Old" }, {
      type: "incident",
      id: "incident--1"
    }]
    const second = [{ type: "email-addr", id: "email-addr--1", display_name: "New" }, {
      type: "incident",
      id: "incident--2"
    }]
    const [bundle] = assembleBundles([first, second], context, 100)
    expect(bundle!.objects.slice(2)).toStrictEqual([
      { type: "email-addr", id: "email-addr--1", display_name: "New" },
      { type: "incident", id: "incident--1" },
      { type: "incident", id: "incident--2" }
    ])
  })

  it("counts only new objects against the bound", () => {
    const bundles = assembleBundles([fake("a--1", "b--1"), fake("a--1", "b--1", "c--1")], context, 5)
    expect(bundles).toHaveLength(1)
    expect(bundles[0]!.objects.map((o) => o.id)).toStrictEqual([
      context.authorId,
      context.markingId,
      "a--1",
      "b--1",
      "c--1"
    ])
  })

  it("gives a record larger than the bound a bundle of its own", () => {
    const big = fake("x--1", "x--2", "x--3", "x--4", "x--5")
    const bundles = assembleBundles([fake("a--1"), big, fake("b--1")], context, 4, { bundleId: sequentialIds() })
    expect(bundles.map((bundle) => bundle.objects.length)).toStrictEqual([3, 7, 3])
    expect(bundles.map((bundle) => bundle.id)).toStrictEqual([
      "bundle--00000000-0000-4000-8000-000000000000",
      "bundle--00000000-0000-4000-8000-000000000001",
      "bundle--00000000-0000-4000-8000-000000000002"
    ])
  })

  it("never lets a record replace the author or the marking", () => {
    const [bundle] = assembleBundles([[{ type: "identity", id: context.authorId, name: "Impostor" }]], context, 10)
    expect(bundle!.objects).toStrictEqual([context.author, context.marking])
  })

  it("treats a bound below 3 as 3, and makes no bundle from nothing", () => {
    expect(assembleBundles([fake("a--1"), fake("b--1")], context, 0).map((b) => b.objects.length)).toStrictEqual([3, 3])
    expect(assembleBundles([], context, 10)).toStrictEqual([])
    expect(assembleBundles([[], []], context, 10)).toStrictEqual([])
  })

  it("packs any sequence of records without losing or splitting one", () => {
    const recordArbitrary = FastCheck.uniqueArray(FastCheck.integer({ min: 0, max: 30 }), { maxLength: 8 })
      .map((ids) => fake(...ids.map((id) => `o--${id}`)))
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(recordArbitrary, { maxLength: 20 }),
        FastCheck.integer({ min: 3, max: 15 }),
        (input, max) => {
          const bundles = assembleBundles(input, context, max)
          for (const recordObjects of input) {
            if (recordObjects.length === 0) continue
            const holder = bundles.find((bundle) =>
              recordObjects.every((o) => bundle.objects.some((b) => b.id === o.id))
            )
            expect(holder).toBeDefined()
          }
          for (const bundle of bundles) {
            const ids = bundle.objects.map((object) => object.id)
            expect(new Set(ids).size).toBe(ids.length)
            // Over the bound only when the bundle holds a single record that alone exceeds it.
            if (bundle.objects.length > max) {
              expect(input.some((r) => r.length + 2 === bundle.objects.length && r.length + 2 > max)).toBe(true)
            }
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("makeBundlePacker", () => {
  it("hands out each bundle when the next record does not fit, and the rest on flush", () => {
    const packer = makeBundlePacker(context, 4, { bundleId: sequentialIds() })
    expect(packer.add(fake("a--1", "a--2"))).toBeUndefined()
    const completed = packer.add(fake("b--1"))
    expect(completed?.objects.map((o) => o.id)).toStrictEqual([context.authorId, context.markingId, "a--1", "a--2"])
    expect(packer.add([])).toBeUndefined()
    expect(packer.flush()?.objects.map((o) => o.id)).toStrictEqual([context.authorId, context.markingId, "b--1"])
    expect(packer.flush()).toBeUndefined()
  })
})

describe("queue order of an assembled bundle", () => {
  it("publishes the marking and author first, then observables, incidents and relationships, each after its references", () => {
    const bundle = assembleBundles([objectsOf(malwareRecord), records(2)[1]!], context, 1000)[0]!
    const order = queueOrder(bundle).objects
    const types = order.map((object) => object.type)
    expect(types.slice(0, 2).sort()).toStrictEqual(["identity", "marking-definition"])
    const firstRelationship = types.indexOf("relationship")
    expect(types.slice(firstRelationship).every((type) => type === "relationship")).toBe(true)
    // Observables that reference no other observable come before every incident.
    const lastPlainObservable = Math.max(
      ...order.flatMap((object, i) =>
        object.type !== "incident" && object.type !== "relationship" && i > 1 && !("belongs_to_ref" in object) &&
          !("parent_directory_ref" in object)
          ? [i]
          : []
      )
    )
    expect(lastPlainObservable).toBeLessThan(types.indexOf("incident"))
    const position = new Map(order.map((object, i) => [object.id, i]))
    for (const object of order) {
      for (const [key, value] of Object.entries(object)) {
        const refs = key.endsWith("_ref") ? [value] : key.endsWith("_refs") ? (value as Array<string>) : []
        for (const ref of refs) expect(position.get(ref as string)!).toBeLessThan(position.get(object.id)!)
      }
    }
  })

  it("groups the bundle itself the same way: author and marking, observables, incidents, relationships", () => {
    const [bundle] = assembleBundles(records(3), context, 1000)
    const kinds = bundle!.objects.map((object) =>
      object.type === "identity" || object.type === "marking-definition"
        ? 0
        : object.type === "incident"
        ? 2
        : object.type === "relationship"
        ? 3
        : 1
    )
    expect(kinds).toStrictEqual([...kinds].sort((a, b) => a - b))
  })
})

describeWithShared("assembled bundles against the OASIS STIX 2.1 schemas", () => {
  it("validate, with every reference inside its bundle", () => {
    for (const bundle of assembleBundles(records(12), context, 50)) assertValidBundle(bundle)
  })
})
