import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { escapeMarkdown } from "../../src/stix/MarkdownText.js"
import { tableCells } from "../support/MarkdownTable.js"

describe("escapeMarkdown", () => {
  it.each([
    ["plain text", "plain text"],
    ["a|b", "a\\|b"],
    ["C:\\Users\\x", "C:\\\\Users\\\\x"],
    ["line1\nline2\r\nline3\rline4", "line1<br>line2<br>line3<br>line4"],
    ["<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"],
    [
      "`code` *bold* _it_ ~~del~~ [link](x) &amp;",
      "\\`code\\` \\*bold\\* \\_it\\_ \\~\\~del\\~\\~ \\[link\\](x) \\&amp;"
    ],
    ["tab\there", "tab here"],
    ["nul\u0000bell\u0007", "nul\ufffdbell\ufffd"],
    ["lone \ud800 surrogate", "lone \ufffd surrogate"],
    ["emoji 😀 ünïcödé \"quotes\" 'single'", "emoji 😀 ünïcödé \"quotes\" 'single'"]
  ])("%j → %j", (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped)
  })

  it("cuts long text, without splitting a surrogate pair, and says how much was cut", () => {
    expect(escapeMarkdown("abcdef", 4)).toBe("abcd … *(2 more characters)*")
    expect(escapeMarkdown("abc😀def", 4)).toBe("abc … *(5 more characters)*")
  })

  it("keeps any text inside one table cell on one line", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ unit: "binary" }), (text) => {
        const row = `| ${escapeMarkdown(text)} | x |`
        expect(row).not.toMatch(/[\r\n\u2028\u2029]/)
        expect(tableCells(row)).toHaveLength(4)
      }),
      { numRuns: 500 }
    )
  })

  it("escapes as the whole chain of replacements would, whatever the shortcuts skip", () => {
    const reference = (text: string, maxLength: number) => {
      const cut = text.length > maxLength
      const kept = cut ? text.slice(0, /[\ud800-\udbff]/.test(text[maxLength - 1]!) ? maxLength - 1 : maxLength) : text
      const escaped = kept
        .replace(/[\\|`*_[\]<>&~]/g, "\\$&")
        .replace(/\r\n|[\r\n\u2028\u2029]/g, "<br>")
        .replace(/\t/g, " ")
        .replace(
          /[\u0000-\u0008\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
          "\ufffd"
        )
      return cut ? `${escaped} … *(${text.length - kept.length} more characters)*` : escaped
    }
    const tricky = FastCheck.array(
      FastCheck.oneof(
        FastCheck.constantFrom(
          "|",
          "_",
          "\\",
          "*",
          "`",
          "[",
          "]",
          "<",
          ">",
          "&",
          "~",
          "\r\n",
          "\r",
          "\n",
          "\t",
          "\u2028"
        ),
        FastCheck.constantFrom("\u0000", "\u007f", "\ud83d", "\ude00", "\ud83d\ude00", "é", "a", " "),
        FastCheck.string({ unit: "binary", maxLength: 4 })
      ),
      { maxLength: 20 }
    ).map((parts) => parts.join(""))
    FastCheck.assert(
      FastCheck.property(tricky, FastCheck.integer({ min: 1, max: 30 }), (text, maxLength) => {
        expect(escapeMarkdown(text, maxLength)).toBe(reference(text, maxLength))
        expect(escapeMarkdown(text)).toBe(reference(text, 1000))
      }),
      { numRuns: 5_000 }
    )
  })
})
