import { describe, expect, it } from "vitest"
import { createDataset, MALFORMED_KINDS, type RecordFilter, resolveBound } from "./Dataset.js"

const DAY = 86_400_000

describe("stand-in dataset", () => {
  const dataset = createDataset({ records: 3000, days: 10, endDate: "2024-03-10", seed: 7 })

  it("is deterministic for a seed and differs between seeds", () => {
    const again = createDataset({ records: 3000, days: 10, endDate: "2024-03-10", seed: 7 })
    const other = createDataset({ records: 3000, days: 10, endDate: "2024-03-10", seed: 8 })
    for (const index of [0, 1, 1234, 2999]) {
      expect(again.recordAt(index)).toEqual(dataset.recordAt(index))
      expect(other.recordAt(index)).not.toEqual(dataset.recordAt(index))
    }
  })

  it("generates any record on demand, without materialising the others", () => {
    const huge = createDataset({ records: 5_000_000, days: 3650, endDate: "2025-01-01" })
    const last = huge.recordAt(4_999_999) as Record<string, unknown>
    expect(last.spycloud_publish_date).toBe(`${huge.startDate}T00:00:00Z`)
    expect(huge.count({})).toBe(5_000_000)
  })

  it("spreads midnight publish dates over the days, newest first", () => {
    expect(dataset.endDate).toBe("2024-03-10")
    expect(dataset.startDate).toBe("2024-03-01")
    let previous = Infinity
    const days = new Set<string>()
    for (let index = 0; index < dataset.size; index++) {
      const date = dataset.info(index).publishDate
      expect(date).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/)
      expect(Date.parse(date)).toBeLessThanOrEqual(previous)
      previous = Date.parse(date)
      days.add(date)
    }
    expect(days.size).toBe(10)
  })

  it("gives every record a distinct document id", () => {
    const ids = new Set(Array.from({ length: dataset.size }, (_, index) => dataset.info(index).documentId))
    expect(ids.size).toBe(dataset.size)
  })

  it("serves realistic, varied fields", () => {
    const records = Array.from(
      { length: dataset.size },
      (_, index) => dataset.recordAt(index) as Record<string, unknown>
    )
    const severities = new Set(records.map((record) => record.severity))
    expect([...severities].sort((a, b) => Number(a) - Number(b))).toEqual([2, 5, 20, 25, 26, 30])
    const has = (predicate: (record: Record<string, unknown>) => boolean) => records.some(predicate)
    expect(has((r) => typeof r.username === "string")).toBe(true)
    expect(has((r) => typeof r.cc_number === "string" && typeof r.cc_code === "string")).toBe(true)
    expect(has((r) => r.password_type === "plaintext" && typeof r.password_plaintext === "string")).toBe(true)
    expect(has((r) => r.password_type === "bcrypt" && r.password_plaintext === undefined)).toBe(true)
    expect(has((r) => typeof r.salt === "string")).toBe(true)
    expect(has((r) => Array.isArray(r.ip_addresses) && r.ip_addresses.some((ip) => String(ip).includes(":")))).toBe(
      true
    )
    expect(has((r) => typeof r.infected_path === "string" && r.infected_path.startsWith("C:\\Users\\"))).toBe(true)
    expect(has((r) => typeof r.keyboard_languages === "string" && r.keyboard_languages.includes("|"))).toBe(true)
    expect(has((r) => typeof r.mac_address === "string" && /^[0-9A-F]{12}$/.test(r.mac_address))).toBe(true)
    expect(has((r) => r.email === "********")).toBe(true)
    expect(has((r) => r.x_spycloud_experimental !== undefined)).toBe(true)
    expect(has((r) => typeof r.user_agent === "string" && typeof r.user_hostname === "string")).toBe(true)
    for (const record of records) {
      if (record.severity === 25) expect(typeof record.target_url).toBe("string")
    }
  })

  it("breaks every n-th record when asked, each kind in turn", () => {
    const broken = createDataset({ records: 100, days: 2, endDate: "2024-01-02", invalidEvery: 10 })
    const kinds = Array.from({ length: 100 }, (_, index) => broken.info(index).malformed)
    expect(kinds.filter((kind) => kind !== undefined)).toHaveLength(10)
    expect(kinds[9]).toBe(MALFORMED_KINDS[0])
    expect(new Set(kinds.filter((kind) => kind !== undefined))).toEqual(new Set(MALFORMED_KINDS))
    expect((broken.recordAt(9) as Record<string, unknown>).document_id).toBeUndefined()
    expect((broken.recordAt(19) as Record<string, unknown>).spycloud_publish_date).toBe("not-a-date")
    expect(typeof broken.recordAt(29)).toBe("string")
    expect((broken.recordAt(39) as Record<string, unknown>).source_id).toBeUndefined()
    expect((broken.recordAt(49) as Record<string, unknown>).severity).toBe("critical")
    expect(broken.documentIds({})).toHaveLength(90)
    expect(broken.malformedCount({})).toBe(10)
  })

  it("dates modified records between their publish date and the end date", () => {
    const modified = createDataset({ records: 500, days: 20, endDate: "2024-05-20", modifiedEvery: 5 })
    for (let index = 0; index < 500; index++) {
      const info = modified.info(index)
      const record = modified.recordAt(index) as Record<string, unknown>
      if (index % 5 !== 0) {
        expect(record.record_modification_date).toBeUndefined()
        continue
      }
      expect(record.record_modification_date).toBe(info.modificationDate)
      const at = Date.parse(info.modificationDate!)
      expect(at).toBeGreaterThanOrEqual(Date.parse(info.publishDate))
      expect(at).toBeLessThan(Date.parse("2024-05-21T00:00:00Z"))
    }
  })

  it("reads date bounds as whole days and date-times as instants", () => {
    expect(resolveBound("2024-03-05", "since")).toBe(Date.parse("2024-03-05T00:00:00Z"))
    expect(resolveBound("2024-03-05", "until")).toBe(Date.parse("2024-03-06T00:00:00Z") - 1)
    expect(resolveBound("2024-03-05T10:00:00Z", "until")).toBe(Date.parse("2024-03-05T10:00:00Z"))
    expect(resolveBound("yesterday", "since")).toBeUndefined()
  })

  it("selects what a brute-force scan selects", () => {
    const modifiedSet = createDataset({ records: 2000, days: 15, endDate: "2024-03-15", seed: 3, modifiedEvery: 3 })
    const brute = (filter: RecordFilter) =>
      Array.from({ length: modifiedSet.size }, (_, index) => modifiedSet.info(index)).filter((info) => {
        const publish = Date.parse(info.publishDate)
        const within = (at: number, since?: string, until?: string) =>
          (since === undefined || at >= Date.parse(since.length === 10 ? `${since}T00:00:00Z` : since)) &&
          (until === undefined ||
            at < (until.length === 10 ? Date.parse(`${until}T00:00:00Z`) + DAY : Date.parse(until) + 1))
        if (!within(publish, filter.since, filter.until)) return false
        if (filter.sinceModification !== undefined || filter.untilModification !== undefined) {
          if (info.modificationDate === undefined) return false
          if (!within(Date.parse(info.modificationDate), filter.sinceModification, filter.untilModification)) {
            return false
          }
        }
        if (filter.severity !== undefined && !filter.severity.includes(info.severity)) return false
        return filter.watchlistType === undefined || info.watchlistType === filter.watchlistType
      }).map((info) => info.documentId)
    const filters: Array<RecordFilter> = [
      {},
      { since: "2024-03-05" },
      { until: "2024-03-05" },
      { since: "2024-03-05", until: "2024-03-05" },
      { since: "2024-03-05T00:00:01Z", until: "2024-03-09T00:00:00Z" },
      { severity: [20, 25] },
      { watchlistType: "ip", since: "2024-03-10" },
      { severity: [30], watchlistType: "email", until: "2024-03-12" },
      { sinceModification: "2024-03-10" },
      { sinceModification: "2024-03-08", untilModification: "2024-03-09T12:00:00Z", severity: [2, 5] }
    ]
    for (const filter of filters) {
      const expected = brute(filter)
      expect([...modifiedSet.matching(filter)].map((info) => info.documentId)).toEqual(expected)
      expect(modifiedSet.count(filter)).toBe(expected.length)
    }
    expect(modifiedSet.count({ since: "2024-03-05", until: "2024-03-05" })).toBeGreaterThan(0)
  })

  it("knows the catalog of most sources, not all", () => {
    const known = dataset.sourceIds.filter((id) => dataset.catalog(id) !== undefined)
    expect(known.length).toBeGreaterThan(0)
    expect(known.length).toBeLessThan(dataset.sourceIds.length)
    expect(dataset.catalog(dataset.sourceIds[0]!)).toMatchObject({
      id: dataset.sourceIds[0],
      title: expect.any(String)
    })
    expect(dataset.catalog(String(dataset.sourceIds[0]))).toEqual(dataset.catalog(dataset.sourceIds[0]!))
    expect(dataset.catalog(1)).toBeUndefined()
  })
})
