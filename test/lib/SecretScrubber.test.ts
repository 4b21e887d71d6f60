import { describe, expect, it } from "@effect/vitest"
import { registerSecrets, scrubSecrets } from "../../src/lib/SecretScrubber.js"

describe("scrubSecrets", () => {
  it("replaces registered secrets, also percent- and JSON-encoded, longest first", () => {
    registerSecrets("S3cr/et\"value", "S3cr", "abc", undefined)
    expect(scrubSecrets(`a S3cr/et"value b`)).toBe("a <redacted> b")
    expect(scrubSecrets(`q=${encodeURIComponent(`S3cr/et"value`)}`)).toBe("q=<redacted>")
    expect(scrubSecrets(JSON.stringify({ k: `S3cr/et"value` }))).toBe(`{"k":"<redacted>"}`)
    // Too short to scrub without mangling ordinary text.
    expect(scrubSecrets("abc")).toBe("abc")
  })

  it("replaces credentials visible by their form", () => {
    expect(scrubSecrets("connect https://guest:Pw77xy@mq.example:5672/")).toBe(
      "connect https://guest:REDACTED@mq.example:5672/"
    )
    expect(scrubSecrets("authorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.sig"))
      .not.toContain("eyJ0eXAi")
  })
})
