/**
 * Breach catalogs already fetched, so that each source is asked for once per process and not once per record.
 * Bounded (least recently used entries go first) and holding successes only: a source SpyCloud did not return, or
 * a lookup that failed, is simply absent and asked for again next time (the official connector cached failures
 * forever: docs/spycloud-api.md, "Defects of the official connector that we fix").
 */
import type { BreachCatalog } from "./BreachRecord.js"

export const DEFAULT_CATALOG_CACHE_CAPACITY = 5000

export class CatalogCache {
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recently used first.
  private readonly entries = new Map<string, BreachCatalog>()

  constructor(readonly capacity: number = DEFAULT_CATALOG_CACHE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer")
  }

  get size(): number {
    return this.entries.size
  }

  /** The cached catalog for this key, marked as just used. */
  get(key: string): BreachCatalog | undefined {
    const catalog = this.entries.get(key)
    if (catalog !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, catalog)
    }
    return catalog
  }

  set(key: string, catalog: BreachCatalog): void {
    this.entries.delete(key)
    this.entries.set(key, catalog)
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.entries.delete(oldest.value)
    }
  }
}
