import { describe, expect, it } from "@effect/vitest"
import { displayText, fieldText, isMasked, MAX_VALUE_LENGTH, usableText } from "../../src/stix/FieldText.js"

describe("fieldText", () => {
  it("a value longer than MAX_VALUE_LENGTH is oversize; one of exactly that length is text", () => {
    expect(fieldText("a".repeat(MAX_VALUE_LENGTH + 1))).toStrictEqual({ _tag: "Rejected", reason: "oversize" })
    expect(fieldText("a".repeat(MAX_VALUE_LENGTH))).toStrictEqual({ _tag: "Text", text: "a".repeat(MAX_VALUE_LENGTH) })
  })

  it.each([undefined, null])("%s is absent", (value) => {
    expect(fieldText(value)).toStrictEqual({ _tag: "Absent" })
  })

  it.each([5, 0, true, [], ["a@b.io"], {}, { value: "x" }])("%j is malformed", (value) => {
    expect(fieldText(value)).toStrictEqual({ _tag: "Rejected", reason: "malformed" })
  })

  it.each(["", "   ", "\t\n"])("%j is empty", (value) => {
    expect(fieldText(value)).toStrictEqual({ _tag: "Rejected", reason: "empty" })
  })

  it.each(["********", "*", "****", " ******** ", "jo****@example.org", "••••", "[REDACTED]", "<masked>", "hidden"])(
    "%j is masked",
    (value) => {
      expect(fieldText(value)).toStrictEqual({ _tag: "Rejected", reason: "masked" })
    }
  )

  it.each(["a\nb", "a\u0000b", "tab\there", "\u007f", "lone \ud800 surrogate", "\udc00"])(
    "%j holds characters no observable value may hold",
    (value) => {
      expect(fieldText(value)).toStrictEqual({ _tag: "Rejected", reason: "invalid" })
    }
  )

  it.each(["jdoe", "a*b", "***x", "😀", "Ünïcödé", " padded "])("%j is usable text, kept verbatim", (value) => {
    expect(fieldText(value)).toStrictEqual({ _tag: "Text", text: value })
    expect(usableText(value)).toBe(value)
  })

  it("usableText is undefined for everything else", () => {
    for (const value of [undefined, null, 1, "", "********", "a\nb"]) expect(usableText(value)).toBeUndefined()
  })

  it("does not take ordinary text for a mask", () => {
    expect(isMasked("p*ssw*rd")).toBe(false)
    expect(isMasked("unmasked")).toBe(false)
  })
})

describe("displayText", () => {
  it("keeps prose with line breaks, drops empty and masked text and non-strings", () => {
    expect(displayText("A combo list\nshared on Telegram.")).toBe("A combo list\nshared on Telegram.")
    for (const value of [undefined, null, 3, "", "  ", "********"]) expect(displayText(value)).toBeUndefined()
  })
})
