import { describe, expect, it } from "@effect/vitest"
import { dependencyCounts, queueOrder } from "../../src/stix/QueueOrder.js"
import type { StixBundle } from "../../src/stix/StixObject.js"

const MARKING = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
const AUTHOR = "identity--115e787b-4b83-59ef-b350-aeb7b1736c74"
const bundle: StixBundle = {
  type: "bundle",
  id: "bundle--00000000-0000-4000-8000-000000000000",
  objects: [
    {
      type: "relationship",
      id: "relationship--r",
      source_ref: "email-addr--e",
      target_ref: "incident--i",
      created_by_ref: AUTHOR,
      object_marking_refs: [MARKING]
    },
    { type: "incident", id: "incident--i", created_by_ref: AUTHOR, object_marking_refs: [MARKING] },
    {
      type: "email-addr",
      id: "email-addr--e",
      belongs_to_ref: "user-account--u",
      x_opencti_created_by_ref: AUTHOR,
      object_marking_refs: [MARKING]
    },
    { type: "user-account", id: "user-account--u", x_opencti_created_by_ref: AUTHOR, object_marking_refs: [MARKING] },
    { type: "identity", id: AUTHOR },
    { type: "marking-definition", id: MARKING }
  ]
}

describe("queueOrder", () => {
  it("counts dependencies like pycti's splitter (1 + referenced objects in the bundle)", () => {
    const counts = dependencyCounts(bundle.objects)
    expect(counts.get(MARKING)).toBe(1)
    expect(counts.get(AUTHOR)).toBe(1)
    expect(counts.get("user-account--u")).toBe(3)
    expect(counts.get("email-addr--e")).toBe(6)
    expect(counts.get("incident--i")).toBe(3)
    expect(counts.get("relationship--r")).toBe(1 + 6 + 3 + 1 + 1)
  })

  it("puts every object after the objects it references", () => {
    const order = queueOrder(bundle).objects.map((object) => object.id)
    expect(order.slice(0, 2)).toEqual([AUTHOR, MARKING])
    for (const object of bundle.objects) {
      for (const value of Object.values(object)) {
        const refs = Array.isArray(value) ? value : [value]
        for (const ref of refs) {
          if (typeof ref === "string" && order.includes(ref) && ref !== object.id) {
            expect(order.indexOf(ref)).toBeLessThan(order.indexOf(object.id))
          }
        }
      }
    }
    expect(order.at(-1)).toBe("relationship--r")
  })

  it("ignores references to objects outside the bundle and survives cycles", () => {
    const cyclic: StixBundle = {
      type: "bundle",
      id: "bundle--x",
      objects: [
        { type: "a", id: "a--1", x_ref: "b--1", y_refs: ["zz--absent"] },
        { type: "b", id: "b--1", x_ref: "a--1" }
      ]
    }
    expect(queueOrder(cyclic).objects).toHaveLength(2)
  })
})
