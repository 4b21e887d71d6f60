import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import { decodeWatchlistPage, watchlistParams } from "../../src/spycloud/WatchlistPage.js"

describe("watchlistParams", () => {
  it("sends severity once, comma-joined, and the cursor last", () => {
    const params = watchlistParams(
      {
        dateField: "publish",
        since: "2024-01-01T00:00:00Z",
        until: Option.some("2024-01-02"),
        severity: [2, 30],
        watchlistType: Option.some("ip")
      },
      Option.some("abc")
    )
    expect(params).toEqual([
      ["since", "2024-01-01T00:00:00Z"],
      ["until", "2024-01-02"],
      ["severity", "2,30"],
      ["watchlist_type", "ip"],
      ["cursor", "abc"]
    ])
  })

  it("uses the modification-date parameters for modification queries", () => {
    const params = watchlistParams(
      {
        dateField: "modification",
        since: "2024-01-01",
        until: Option.some("2024-01-03"),
        severity: [],
        watchlistType: Option.none()
      },
      Option.none()
    )
    expect(params).toEqual([["since_modification_date", "2024-01-01"], ["until_modification_date", "2024-01-03"]])
  })
})

describe("decodeWatchlistPage", () => {
  it("rejects bodies that are not an envelope", () => {
    for (const body of [null, [], "text", { hits: 1 }, { results: {} }, { results: [], hits: "many" }]) {
      expect(Either.isLeft(decodeWatchlistPage(body, 1))).toBe(true)
    }
  })

  it("treats a blank cursor as the end", () => {
    const page = Either.getOrThrow(decodeWatchlistPage({ cursor: "  ", hits: 0, results: [] }, 4))
    expect(page.cursor).toEqual(Option.none())
    expect(page.number).toBe(4)
  })

  it("skips a record with a 3,000-level document_id and fails a page with such a cursor, both in one line", () => {
    let deep: unknown = "x"
    for (let level = 0; level < 3_000; level++) deep = { a: deep }
    const good = { document_id: "good", source_id: 1, spycloud_publish_date: "2024-01-01" }
    const page = Either.getOrThrow(
      decodeWatchlistPage({ cursor: null, hits: 2, results: [{ ...good, document_id: deep }, good] }, 1)
    )
    expect(page.records.map((record) => record.document_id)).toEqual(["good"])
    expect(page.skipped).toEqual([
      { documentId: Option.none(), reason: "document_id: expected string, got an object with 1 key" }
    ])
    const failed = decodeWatchlistPage({ cursor: deep, hits: 1, results: [good] }, 1)
    expect(failed).toEqual(
      Either.left("not a {cursor, hits, results} page: cursor: expected string, got an object with 1 key")
    )
  })
})
