import { describe, expect, it } from "@effect/vitest"
import { memoizeBounded } from "../../src/lib/MemoizeBounded.js"

describe("memoizeBounded", () => {
  it("computes once per text while the cache has room", () => {
    const calls: Array<string> = []
    const length = memoizeBounded(10, (text: string) => {
      calls.push(text)
      return text.length
    })
    expect([length("ab"), length("abc"), length("ab"), length("abc")]).toEqual([2, 3, 2, 3])
    expect(calls).toEqual(["ab", "abc"])
  })

  it("forgets everything when full, so it never holds more than its limit", () => {
    const calls: Array<string> = []
    const upper = memoizeBounded(2, (text: string) => {
      calls.push(text)
      return text.toUpperCase()
    })
    expect([upper("a"), upper("b"), upper("c"), upper("a"), upper("c")]).toEqual(["A", "B", "C", "A", "C"])
    // "c" arrived in a full cache: it alone stayed, "a" was computed again.
    expect(calls).toEqual(["a", "b", "c", "a"])
  })

  it("computes undefined answers every time, and keeps nothing from a throw", () => {
    let calls = 0
    const parse = memoizeBounded(4, (text: string) => {
      calls++
      if (text === "boom") throw new Error("boom")
      return text === "" ? undefined : text
    })
    expect([parse(""), parse("")]).toEqual([undefined, undefined])
    expect(calls).toBe(2)
    expect(() => parse("boom")).toThrow("boom")
    expect(() => parse("boom")).toThrow("boom")
    expect(calls).toBe(4)
  })
})
