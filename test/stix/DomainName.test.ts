/**
 * What `validators.domain` 0.35 (the official connector's check) accepts and rejects, and our one deliberate
 * difference (docs/stix-mapping.md, "Validation per type").
 */
import { describe, expect, it } from "@effect/vitest"
import { asciiDomain, isValidDomain } from "../../src/stix/DomainName.js"

describe("isValidDomain", () => {
  it.each([
    "example.com",
    "demo.inertiajs.com",
    "a.co",
    "123.com",
    "e.x-n",
    "a.1b",
    "example.c0m",
    "xn--80ak6aa92e.com",
    "пример.рф",
    "münchen.de",
    "EXAMPLE.COM",
    `${"a".repeat(63)}.com`
  ])("accepts %s", (domain) => {
    expect(isValidDomain(domain)).toBe(true)
  })

  it.each([
    "",
    "a.b",
    "example.c",
    "example.co1",
    "example.com.",
    "-a.com",
    "a-.com",
    "a_b.com",
    "_a.com",
    "a__b.com",
    "1.2.3.4",
    "a.b.c.d.e.f",
    "*.example.com",
    "https://example.com",
    "example.com/",
    "not a domain",
    "a..b.com",
    ".a.com",
    "localhost",
    `${"a".repeat(64)}.com`,
    "e.x_n" // validators allows `_` inside the top-level label; STIX's idn-hostname does not
  ])("rejects %j", (domain) => {
    expect(isValidDomain(domain)).toBe(false)
  })
})

describe("asciiDomain", () => {
  it("keeps ASCII names as they are and punycodes the others", () => {
    expect(asciiDomain("Example.COM")).toBe("Example.COM")
    expect(asciiDomain("пример.com")).toBe("xn--e1afmkfd.com")
    expect(asciiDomain("münchen.de")).toBe("xn--mnchen-3ya.de")
  })
})
