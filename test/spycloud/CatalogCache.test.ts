import { describe, expect, it } from "@effect/vitest"
import { CatalogCache, DEFAULT_CATALOG_CACHE_CAPACITY } from "../../src/spycloud/CatalogCache.js"

const entry = (id: number) => ({ id, title: `Breach ${id}` })

describe("CatalogCache", () => {
  it("holds 5000 entries by default", () => {
    expect(new CatalogCache().capacity).toBe(DEFAULT_CATALOG_CACHE_CAPACITY)
    expect(DEFAULT_CATALOG_CACHE_CAPACITY).toBe(5000)
  })

  it("evicts the least recently used entry beyond its capacity", () => {
    const cache = new CatalogCache(2)
    cache.set("1", entry(1))
    cache.set("2", entry(2))
    expect(cache.get("1")?.title).toBe("Breach 1")
    cache.set("3", entry(3))
    expect(cache.size).toBe(2)
    expect(cache.get("2")).toBeUndefined()
    expect(cache.get("1")?.title).toBe("Breach 1")
    expect(cache.get("3")?.title).toBe("Breach 3")
  })

  it("replaces an entry set twice without growing", () => {
    const cache = new CatalogCache(3)
    cache.set("1", entry(1))
    cache.set("1", { id: 1, title: "Renamed" })
    expect(cache.size).toBe(1)
    expect(cache.get("1")?.title).toBe("Renamed")
  })

  it("refuses a capacity that could not hold anything", () => {
    expect(() => new CatalogCache(0)).toThrow(RangeError)
  })
})
