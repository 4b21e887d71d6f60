/**
 * What `validators.email` 0.35 (the official connector's check) accepts and rejects, restricted to what STIX's
 * `format: email` can hold (docs/stix-mapping.md, "Validation per type").
 */
import { describe, expect, it } from "@effect/vitest"
import { emailValue } from "../../src/stix/EmailAddress.js"

describe("emailValue", () => {
  it.each([
    "grolfson@example.org",
    "first.last+tag@sub.example.co.uk",
    "o'brien@example.ie",
    "UPPER@EXAMPLE.COM",
    "a!#$%&'*+/=?^_`{|}~-@example.com",
    `${"a".repeat(64)}@example.com`
  ])("keeps %s verbatim", (email) => {
    expect(emailValue(email)).toBe(email)
  })

  it("writes an internationalised domain part in punycode", () => {
    expect(emailValue("user@пример.com")).toBe("user@xn--e1afmkfd.com")
  })

  it.each([
    "",
    "plain",
    "@example.com",
    "user@",
    "a b@example.com",
    "user.@example.com",
    ".user@example.com",
    "us..er@example.com",
    "a@b@c.com",
    "user@localhost",
    "user@[1.2.3.4]",
    "user@example",
    "user@example.com.",
    "user@exa_mple.com",
    `${"a".repeat(65)}@example.com`,
    // accepted by validators.email but not an RFC 5322 addr-spec in ASCII, which STIX requires
    "ü@example.com",
    "\"ab\"@example.com",
    "用户@example.com"
  ])("rejects %j", (email) => {
    expect(emailValue(email)).toBeUndefined()
  })
})
