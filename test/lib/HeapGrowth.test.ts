import { describe, expect, it } from "@effect/vitest"
import { heapSizingConfigured } from "../../src/lib/HeapGrowth.js"

describe("heapSizingConfigured", () => {
  it("sees an operator's heap sizing on node's command line or in NODE_OPTIONS", () => {
    expect(heapSizingConfigured(["--max-old-space-size=512"], undefined)).toBe(true)
    expect(heapSizingConfigured([], "--enable-source-maps --heap-growing-percent=50")).toBe(true)
    expect(heapSizingConfigured([], "--max_heap_size=300")).toBe(true)
  })

  it("leaves the choice to the connector otherwise", () => {
    expect(heapSizingConfigured([], undefined)).toBe(false)
    expect(heapSizingConfigured(["--enable-source-maps"], "--max-semi-space-size=8")).toBe(false)
  })
})
