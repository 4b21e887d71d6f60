import { describe, expect, it } from "@effect/vitest"
import { memoizeLast } from "../../src/lib/MemoizeLast.js"

describe("memoizeLast", () => {
  it("computes once for the same text in a row, and again when the text changes", () => {
    const calls: Array<string> = []
    const length = memoizeLast((text: string) => {
      calls.push(text)
      return text.length
    })
    expect([length("ab"), length("ab"), length("abc"), length("ab")]).toEqual([2, 2, 3, 2])
    expect(calls).toEqual(["ab", "abc", "ab"])
  })

  it("remembers undefined answers too", () => {
    let calls = 0
    const parse = memoizeLast((text: string) => {
      calls++
      return text === "" ? undefined : text
    })
    expect([parse(""), parse("")]).toEqual([undefined, undefined])
    expect(calls).toBe(1)
  })
})
