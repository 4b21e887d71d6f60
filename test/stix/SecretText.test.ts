import { describe, expect, it } from "@effect/vitest"
import { holdsCredentials, redactCredentials } from "../../src/stix/SecretText.js"

describe("redactCredentials", () => {
  it.each([
    ["see https://bob:Hunter2x@example.com/login now", "see https://bob:REDACTED@example.com/login now", "Hunter2x"],
    ["https://example.com/cb?password=Pw0rd9&id=7", "https://example.com/cb?password=REDACTED&id=7", "Pw0rd9"],
    ["https://example.com/cb?id=7&token=T0k3n", "https://example.com/cb?id=7&token=REDACTED", "T0k3n"],
    ["https://example.com/#access_token=At0k&state=s", "https://example.com/#access_token=REDACTED&state=s", "At0k"],
    ["pwd=Sekret1 user=bob", "pwd=REDACTED user=bob", "Sekret1"],
    [
      "Mozilla/5.0 (X11) Authorization: Bearer abcDEF123456789.xyz",
      "Mozilla/5.0 (X11) Authorization: Bearer REDACTED",
      "abcDEF"
    ],
    ["header Basic dXNlcjpwYXNzd29yZA==", "header Basic REDACTED", "dXNlcjpw"],
    ["id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end", "id REDACTED end", "eyJhbGci"]
  ])("%s", (text, expected, secret) => {
    expect(redactCredentials(text)).toBe(expected)
    expect(redactCredentials(text)).not.toContain(secret)
    expect(holdsCredentials(text)).toBe(true)
  })

  it("leaves text without credentials as it is", () => {
    for (
      const text of [
        "https://example.com/a?b=1&c=2#top",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15",
        "mailto:zoe@example.com",
        "a=b, c=d",
        "The basic idea"
      ]
    ) {
      expect(redactCredentials(text)).toBe(text)
      expect(holdsCredentials(text)).toBe(false)
    }
  })
})
