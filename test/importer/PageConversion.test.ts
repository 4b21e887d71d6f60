import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { pageConverter } from "../../src/importer/PageConversion.js"
import { PassStats } from "../../src/importer/PassStats.js"
import type { BreachRecord } from "../../src/spycloud/BreachRecord.js"
import { catalogKey } from "../../src/spycloud/SpycloudClient.js"
import { makeBundlePacker } from "../../src/stix/BundleAssembler.js"
import { makeMappingContext } from "../../src/stix/MappingContext.js"
import { catalog67701, malwareRecord } from "../fixtures/stix/records.js"

const context = makeMappingContext({ connectorName: "SpyCloud", tlp: "amber+strict", includeSensitiveData: false })
const catalogs = new Map([[catalogKey(malwareRecord.source_id), catalog67701]])

/** Records like `malwareRecord`, each with its own document id and IP address. */
const page = (count: number): Array<BreachRecord> =>
  Array.from({ length: count }, (_, i) => ({
    ...malwareRecord,
    document_id: `doc-${i}`,
    ip_addresses: [`10.0.0.${i}`]
  }))

/** Every step of a converter, until the page is finished. */
const steps = (records: ReadonlyArray<BreachRecord>, maxObjects: number) => {
  const stats = new PassStats(0)
  const packer = makeBundlePacker(context, maxObjects)
  const converter = pageConverter(records, catalogs, context, packer, stats)
  const stretches = []
  const recordsAfterStep: Array<number> = []
  while (!converter.finished()) {
    stretches.push(converter.next())
    recordsAfterStep.push(stats.records)
  }
  return { stretches, recordsAfterStep, stats, rest: packer.flush() }
}

describe("pageConverter", () => {
  it("converts a page one completed bundle at a time, leaving the unfinished one to the packer", () => {
    const { recordsAfterStep, rest, stats, stretches } = steps(page(10), 40)
    // Every step but possibly the last completes one bundle, and stops right after it.
    expect(stretches.length).toBeGreaterThan(2)
    for (const stretch of stretches.slice(0, -1)) expect(Option.isSome(stretch.bundle)).toBe(true)
    expect(recordsAfterStep.at(-1)).toBe(10)
    expect(new Set(recordsAfterStep).size).toBe(recordsAfterStep.length)
    expect(stats.records).toBe(10)
    // Nothing is lost between the steps' bundles and the packer's rest.
    const bundles = [...stretches.flatMap((stretch) => Option.toArray(stretch.bundle)), ...(rest ? [rest] : [])]
    const incidentIds = new Set(
      bundles.flatMap((bundle) => bundle.objects).filter((object) => object.type === "incident").map((object) =>
        object.id
      )
    )
    expect(incidentIds.size).toBe(10)
  })

  it("reports a record it cannot map in the step that met it, and goes on", () => {
    const records = page(4)
    records[2] = { ...records[2]!, spycloud_publish_date: "not a date" }
    const { stats, stretches } = steps(records, 10_000)
    expect(stretches).toHaveLength(1)
    expect(stretches[0]!.unmappable).toStrictEqual([
      { documentId: Option.some("doc-2"), reason: "spycloud_publish_date is not an ISO-8601 date" }
    ])
    expect(Option.isNone(stretches[0]!.bundle)).toBe(true)
    expect(stats.records).toBe(3)
    expect(stats.skippedRecords.get("unmappable")).toBe(1)
  })

  it("is finished at once for an empty page", () => {
    const { stretches } = steps([], 40)
    expect(stretches).toHaveLength(0)
  })
})
