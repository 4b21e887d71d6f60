import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { jsonSyntaxErrorText, parseErrorText } from "../../src/lib/ParseErrorText.js"

const errorOf = (body: string): unknown => {
  try {
    JSON.parse(body)
  } catch (error) {
    return error
  }
  throw new Error("expected invalid JSON")
}

describe("jsonSyntaxErrorText", () => {
  it("names the position, never the text around it", () => {
    const body = `{"echo": "X-API-KEY: KeySecret55", oops}`
    const text = jsonSyntaxErrorText(errorOf(body), body.length)
    expect(text).not.toContain("KeySecret55")
    expect(text).toMatch(/^the body is not valid JSON \(at position \d+\); \d+ bytes$/)
    expect(jsonSyntaxErrorText(errorOf(`{"a": "KeySecret55`), 18)).not.toContain("KeySecret55")
  })
})

describe("parseErrorText", () => {
  const Answer = Schema.Struct({ port: Schema.Int, pass: Schema.String })
  it("shows values only when asked to", () => {
    const failed = Schema.decodeUnknownEither(Answer)({ port: "PassSecret5", pass: "p" })
    if (Either.isRight(failed)) throw new Error("expected a failure")
    expect(parseErrorText(failed.left, { showValues: false })).toBe("port: expected number")
    expect(parseErrorText(failed.left, { showValues: true })).toBe(`port: expected number, got "PassSecret5"`)
  })
})
