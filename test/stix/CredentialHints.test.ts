import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import {
  AUTH_SCHEME_HINT,
  credentialHints,
  JWT_HINT,
  PARAMETER_HINT,
  USERINFO_HINT
} from "../../src/stix/CredentialHints.js"
import { redactCredentials } from "../../src/stix/SecretText.js"
import { isSensitiveField } from "../../src/stix/SensitiveFields.js"

// The patterns of SecretText, written out again: the hints must never rule out a text one of them matches.
const URL_USERINFO = /\b(?!android:\/\/)([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]*@/gi
const PARAMETER = /(^|[?&;#\s,])([^=\s?&;#,]{1,100})=([^&;#\s,]*)/g
const AUTH_SCHEME = /\b(bearer|basic|digest|token|apikey|api-key|negotiate)(\s+|=|:\s*)[a-z0-9\-._~+/]{8,}=*/gi
const JWT = /\beyJ[a-z0-9_-]{5,}\.[a-z0-9_-]{5,}\.[a-z0-9_-]*/gi
const PATTERNS = [
  [USERINFO_HINT, URL_USERINFO],
  [PARAMETER_HINT, PARAMETER],
  [AUTH_SCHEME_HINT, AUTH_SCHEME],
  [JWT_HINT, JWT]
] as const

const matches = (pattern: RegExp, text: string) => new RegExp(pattern.source, pattern.flags.replace("g", "")).test(text)

const parameterName = (raw: string) => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** redactCredentials without any shortcut: every replacement, in order. */
const reference = (text: string) =>
  text
    .replace(URL_USERINFO, "$1REDACTED@")
    .replace(
      PARAMETER,
      (whole, start: string, name: string, value: string) =>
        value !== "" && isSensitiveField(parameterName(name)) ? `${start}${name}=REDACTED` : whole
    )
    .replace(AUTH_SCHEME, "$1$2REDACTED")
    .replace(JWT, "REDACTED")

/** Texts built from the pieces the patterns look for, so that they often match. */
const credentialLike = FastCheck.array(
  FastCheck.oneof(
    FastCheck.constantFrom(
      "https://",
      "android://",
      "ftp://",
      "user",
      ":",
      "@",
      "=",
      "?",
      "&",
      "#",
      ";",
      ",",
      ".",
      "/",
      " ",
      "\t",
      "\n",
      "\u00a0",
      "\u2028",
      "\ufeff",
      "\u3000",
      "Bearer",
      "basic",
      "DIGEST",
      "token",
      "apikey",
      "api-key",
      "negotiate",
      "eyJ",
      "eyJhbGciOi",
      "eyJhbGciOi.eyJzdWIi.",
      ".abcde",
      "abcdefgh",
      "12345678",
      "pass",
      "password",
      "pwd",
      "access_token",
      "%zz",
      "%70wd",
      "x",
      "-",
      "_",
      "~",
      "+",
      "é",
      "\ud83d\ude00",
      "REDACTED"
    ),
    FastCheck.string({ maxLength: 3 })
  ),
  { maxLength: 14 }
).map((pieces) => pieces.join(""))

describe("credentialHints", () => {
  it.each([
    ["", 0],
    ["alice", 0],
    ["3f2a9c", 0],
    ["alice.martin@example.com", JWT_HINT],
    ["a=b", PARAMETER_HINT | AUTH_SCHEME_HINT],
    ["https://u:p@h", USERINFO_HINT | AUTH_SCHEME_HINT],
    ["Bearer abcdefgh", AUTH_SCHEME_HINT],
    ["eyJabcde.fghij.k", JWT_HINT]
  ])("%j gives %i", (text, hints) => {
    expect(credentialHints(text)).toBe(hints)
  })

  it("takes exactly the characters \\s matches for whitespace", () => {
    for (let code = 0; code <= 0xffff; code++) {
      const character = String.fromCharCode(code)
      if (":@=.".includes(character)) continue
      const spaceHint = (credentialHints(character) & AUTH_SCHEME_HINT) !== 0
      expect([code, spaceHint]).toEqual([code, /\s/.test(character)])
    }
  })

  it("never rules out a pattern that matches", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(credentialLike, FastCheck.string({ unit: "binary" })), (text) => {
        const hints = credentialHints(text)
        for (const [hint, pattern] of PATTERNS) {
          if (matches(pattern, text)) expect((hints & hint) !== 0).toBe(true)
        }
      }),
      { numRuns: 20_000 }
    )
  })

  it("leaves redactCredentials as every replacement in turn would", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(credentialLike, FastCheck.string({ unit: "binary" })), (text) => {
        expect(redactCredentials(text)).toBe(reference(text))
      }),
      { numRuns: 20_000 }
    )
  })
})
