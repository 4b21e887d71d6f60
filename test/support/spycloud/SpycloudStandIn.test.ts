import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Faults, type RecordFilter, type SpycloudStandIn, startSpycloudStandIn } from "./SpycloudStandIn.js"

interface Page {
  readonly cursor: string
  readonly hits: number
  readonly results: ReadonlyArray<Record<string, unknown>>
}

describe("SpyCloud stand-in over HTTP", () => {
  let standIn: SpycloudStandIn
  let clock = 0

  beforeAll(async () => {
    standIn = await startSpycloudStandIn({
      dataset: { records: 2600, days: 8, endDate: "2024-06-08", seed: 11, invalidEvery: 50, modifiedEvery: 4 },
      apiKey: "stand-in-key",
      cursorTtlMs: 120_000,
      clock: () => clock
    })
  })
  afterAll(() => standIn.stop())

  const get = (path: string, params: Record<string, string> = {}, key = standIn.apiKey) =>
    fetch(`${standIn.baseUrl}${path}?${new URLSearchParams(params)}`, { headers: { "X-API-KEY": key } })

  const watchlist = async (params: Record<string, string>) => {
    const response = await get("breach/data/watchlist", params)
    expect(response.status).toBe(200)
    return (await response.json()) as Page
  }

  /** Every record of a query, following cursors with the filters re-sent. */
  const everything = async (params: Record<string, string>) => {
    const pages: Array<Page> = []
    let cursor = ""
    do {
      const page = await watchlist(cursor === "" ? params : { ...params, cursor })
      pages.push(page)
      cursor = page.cursor
    } while (cursor !== "")
    return pages
  }

  const idsOf = (pages: ReadonlyArray<Page>) => pages.flatMap((page) => page.results.map((r) => r.document_id))

  const expectedIds = (filter: RecordFilter) =>
    [...standIn.dataset.matching(filter)].map((info) =>
      info.malformed === "missing-document-id" ||
        info.malformed === "not-an-object"
        ? undefined
        : info.documentId
    )

  it("lives under /enterprise-v2/ and refuses a wrong key like SpyCloud", async () => {
    expect(standIn.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/enterprise-v2\/$/)
    const response = await get("breach/data/watchlist", {}, "wrong")
    expect(response.status).toBe(403)
    expect(response.headers.get("spycloud-error")).toBe("Invalid API key")
    const missing = await fetch(`${standIn.baseUrl}breach/data/watchlist`)
    expect(missing.status).toBe(403)
  })

  it("serves 1000 records a page, newest first, with hits and cursors to the end", async () => {
    const pages = await everything({ since: "2000-01-01" })
    expect(pages.map((page) => page.results.length)).toEqual([1000, 1000, 600])
    expect(pages.every((page) => page.hits === 2600)).toBe(true)
    expect(pages.at(-1)!.cursor).toBe("")
    expect(idsOf(pages)).toEqual(expectedIds({}))
    const dates = pages.flatMap((page) => page.results.map((r) => r.spycloud_publish_date))
      .filter((date) => date !== "not-a-date" && date !== undefined)
    expect(dates).toEqual([...dates].sort().reverse())
  })

  it("filters by publish date (bounds inclusive, dates or date-times), severity list and watchlist type", async () => {
    const cases: ReadonlyArray<readonly [Record<string, string>, RecordFilter]> = [
      [{ since: "2024-06-03", until: "2024-06-04" }, { since: "2024-06-03", until: "2024-06-04" }],
      [{ since: "2024-06-03T00:00:00Z", until: "2024-06-03T00:00:00Z" }, {
        since: "2024-06-03T00:00:00Z",
        until: "2024-06-03T00:00:00Z"
      }],
      [{ since: "2024-06-03T00:00:01Z" }, { since: "2024-06-03T00:00:01Z" }],
      [{ since: "2000-01-01", severity: "25,30" }, { severity: [25, 30] }],
      [{ since: "2000-01-01", watchlist_type: "domain" }, { watchlistType: "domain" }],
      [{ since: "2024-06-05", severity: "20", watchlist_type: "email" }, {
        since: "2024-06-05",
        severity: [20],
        watchlistType: "email"
      }],
      [{ since_modification_date: "2024-06-06" }, { sinceModification: "2024-06-06" }],
      [{ since_modification_date: "2024-06-02", until_modification_date: "2024-06-04T12:00:00Z" }, {
        sinceModification: "2024-06-02",
        untilModification: "2024-06-04T12:00:00Z"
      }]
    ]
    for (const [params, filter] of cases) {
      const pages = await everything(params)
      expect(idsOf(pages)).toEqual(expectedIds(filter))
      expect(pages[0]!.hits).toBe(standIn.dataset.count(filter))
      expect(pages[0]!.hits).toBeGreaterThan(0)
    }
    const day = await everything({ since: "2024-06-03", until: "2024-06-03" })
    const dates = new Set(day.flatMap((page) => page.results.map((r) => r.spycloud_publish_date)))
    dates.delete("not-a-date") // the malformed records of that day
    dates.delete(undefined)
    expect([...dates]).toEqual(["2024-06-03T00:00:00Z"])
    const severe = await everything({ since: "2000-01-01", severity: "25,30" })
    const severities = new Set(severe.flatMap((page) => page.results.map((r) => r.severity)))
    severities.delete("critical")
    severities.delete(undefined)
    expect([...severities].sort()).toEqual([25, 30])
  })

  it("answers 400 for parameters it cannot read", async () => {
    for (const params of [{ since: "last week" }, { severity: "high" }, { watchlist_type: "phone" }]) {
      const response = await get("breach/data/watchlist", params)
      expect(response.status).toBe(400)
      expect(((await response.json()) as { errorMessage: string }).errorMessage).toMatch(/Invalid parameter/)
    }
  })

  it("expires cursors after their time to live", async () => {
    const first = await watchlist({ since: "2000-01-01" })
    clock += 120_001
    const response = await get("breach/data/watchlist", { since: "2000-01-01", cursor: first.cursor })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      errorType: "BadRequest",
      errorMessage: "[BadRequest] Invalid parameter: 'cursor'. Cursor not found."
    })
    expect((await get("breach/data/watchlist", { since: "2000-01-01", cursor: "made-up" })).status).toBe(400)
  })

  it("serves catalogs for comma-separated ids, leaving unknown ones out", async () => {
    const ids = standIn.dataset.sourceIds
    const known = ids.filter((id) => standIn.dataset.catalog(id) !== undefined)
    const unknown = ids.filter((id) => standIn.dataset.catalog(id) === undefined)
    expect(unknown.length).toBeGreaterThan(0)
    const asked = [known[0]!, unknown[0]!, known[1]!, 123]
    const response = await get(`breach/catalog/${asked.join(",")}`)
    const page = (await response.json()) as Page
    expect(page.results.map((entry) => entry.id)).toEqual([known[0], known[1]])
    expect(page.hits).toBe(2)
    expect(page.cursor).toBe("")
  })

  it("logs every request and forgets them on reset", async () => {
    standIn.resetRequests()
    await get("breach/data/watchlist", { since: "2024-06-08", severity: "2,5" })
    await get("breach/catalog/1", {}, "wrong")
    expect(standIn.requests()).toEqual([
      expect.objectContaining({
        endpoint: "watchlist",
        path: "/enterprise-v2/breach/data/watchlist",
        query: { since: "2024-06-08", severity: "2,5" },
        rawQuery: "since=2024-06-08&severity=2%2C5",
        status: 200
      }),
      expect.objectContaining({ endpoint: "catalog", status: 403 })
    ])
    standIn.resetRequests()
    expect(standIn.requests()).toEqual([])
  })
})

describe("SpyCloud stand-in faults", () => {
  let standIn: SpycloudStandIn
  beforeAll(async () => {
    standIn = await startSpycloudStandIn({ dataset: { records: 3000, days: 3, endDate: "2024-01-03" }, pageSize: 500 })
  })
  afterAll(() => standIn.stop())

  const get = (path: string, params: Record<string, string> = {}) =>
    fetch(`${standIn.baseUrl}${path}?${new URLSearchParams(params)}`, { headers: { "x-api-key": standIn.apiKey } })
  const withFaults = (faults: Faults) => {
    standIn.setFaults(faults)
    standIn.resetRequests()
  }

  it("plays a sequence of HTTP faults, then serves normally", async () => {
    withFaults({
      sequence: ["504", "500", "502", "503", "throttle", "throttle-date", "quota", "ok"],
      retryAfterSeconds: 2
    })
    const statuses: Array<number> = []
    const headers: Array<Record<string, string | null>> = []
    for (let i = 0; i < 9; i++) {
      const response = await get("breach/data/watchlist", { since: "2024-01-01" })
      statuses.push(response.status)
      headers.push({
        errorType: response.headers.get("x-amzn-errortype"),
        retryAfter: response.headers.get("retry-after")
      })
      await response.text()
    }
    expect(statuses).toEqual([504, 500, 502, 503, 429, 429, 429, 200, 200])
    expect(headers[4]).toEqual({ errorType: "TooManyRequestsException", retryAfter: "2" })
    expect(Date.parse(headers[5]!.retryAfter!)).toBeGreaterThan(Date.now() - 1000)
    expect(headers[6]!.errorType).toBe("LimitExceededException")
    expect(standIn.requests().map((r) => r.fault)).toEqual([
      "504",
      "500",
      "502",
      "503",
      "throttle",
      "throttle-date",
      "quota",
      undefined,
      undefined
    ])
  })

  it("drops connections, cuts bodies and expires cursors on request", async () => {
    withFaults({ sequence: ["reset", "truncated", "ok", "cursor-expired"] })
    await expect(get("breach/data/watchlist", { since: "2024-01-01" })).rejects.toThrow()
    const truncated = await get("breach/data/watchlist", { since: "2024-01-01" })
    expect(truncated.status).toBe(200)
    await expect(truncated.json()).rejects.toThrow()
    const first = (await (await get("breach/data/watchlist", { since: "2024-01-01" })).json()) as Page
    const expired = await get("breach/data/watchlist", { since: "2024-01-01", cursor: first.cursor })
    expect(expired.status).toBe(400)
    expect(standIn.requests().map((r) => r.status)).toEqual(["reset", 200, 200, 400])
  })

  it("times out first pages of queries that match too much", async () => {
    withFaults({ timeoutAboveHits: 1500 })
    expect((await get("breach/data/watchlist", { since: "2024-01-01" })).status).toBe(504)
    expect((await get("breach/data/watchlist", { since: "2024-01-03" })).status).toBe(200)
    expect((await get("breach/catalog/1")).status).toBe(200)
  })

  it("fails at a reproducible rate, never more than maxConsecutive in a row, only where asked", async () => {
    const run = async () => {
      withFaults({ rate: 0.5, kinds: ["504", "503"], seed: 5, maxConsecutive: 2, endpoints: ["watchlist"] })
      const statuses: Array<number> = []
      for (let i = 0; i < 40; i++) {
        const response = await get("breach/data/watchlist", { since: "2024-01-03" })
        statuses.push(response.status)
        await response.text()
      }
      return statuses
    }
    const statuses = await run()
    expect(await run()).toEqual(statuses)
    const failures = statuses.filter((status) => status !== 200).length
    expect(failures).toBeGreaterThan(8)
    expect(failures).toBeLessThan(32)
    expect(statuses.join(",")).not.toMatch(/50\d,50\d,50\d/)
    for (let i = 0; i < 10; i++) expect((await get("breach/catalog/1")).status).toBe(200)
  })

  it("refuses everything when the IP is not allow-listed or the key not entitled", async () => {
    withFaults({ forbidden: "ip" })
    const ip = await get("breach/catalog/1")
    expect(ip.status).toBe(403)
    expect(ip.headers.get("spycloud-error")).toMatch(/^Invalid IP/)
    withFaults({ forbidden: "not-entitled" })
    const deny = await get("breach/catalog/1")
    expect(deny.status).toBe(403)
    expect(await deny.json()).toEqual({
      message: "User is not authorized to access this resource with an explicit deny"
    })
    withFaults({})
  })

  it("lets a test decide per request", async () => {
    withFaults({ when: ({ endpoint, query }) => endpoint === "watchlist" && query.severity === "30" ? "502" : "ok" })
    expect((await get("breach/data/watchlist", { since: "2024-01-01", severity: "30" })).status).toBe(502)
    expect((await get("breach/data/watchlist", { since: "2024-01-01", severity: "25" })).status).toBe(200)
  })

  it("holds a request without answering when told to hang", async () => {
    withFaults({ sequence: ["hang"] })
    const pending = get("breach/catalog/1").catch((error: unknown) => error)
    await expect.poll(() => standIn.requests().map((r) => r.status)).toEqual(["hang"])
    // Stopping ends the held request (it is the last test; afterAll's stop is then a no-op).
    await standIn.stop()
    expect(await pending).toBeInstanceOf(Error)
  })
})
