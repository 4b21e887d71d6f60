/**
 * Untrusted text made safe for one Markdown table cell or inline span: it renders as the characters it holds and
 * cannot end a cell, a row or a table, start a link, emphasis, code or raw HTML. The official connector writes
 * values raw, so a `|` or a newline in a value breaks its description table (docs/spycloud-api.md, "Defects of the
 * official connector that we fix": descriptions are a raw table of every field).
 */

const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/g
const CONTROL_OR_LONE_SURROGATE =
  /[\u0000-\u0008\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
// CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can change the rendering
// inside a table cell (the cell separator, escapes, emphasis, code, links, raw HTML, entities, strikethrough).
const MARKDOWN_SIGNIFICANT = /[\\|`*_[\]<>&~]/g

/** Any character that one of the replacements below would touch. */
const NEEDS_ESCAPING = /[\\|`*_[\]<>&~\u0000-\u001f\u007f\u2028\u2029\ud800-\udfff]/
/** Any character that a replacement after `MARKDOWN_SIGNIFICANT` would touch: rare, unlike `_` or `|`. */
const NEEDS_MORE_THAN_BACKSLASHES = /[\u0000-\u001f\u007f\u2028\u2029\ud800-\udfff]/

/** Characters kept from one value; beyond that the cell says it was cut. */
export const MAX_CELL_LENGTH = 1000

export const escapeMarkdown = (text: string, maxLength = MAX_CELL_LENGTH): string => {
  if (text.length <= maxLength && !NEEDS_ESCAPING.test(text)) return text
  const cut = text.length > maxLength
  // Never cut a surrogate pair in two.
  const kept = cut ? text.slice(0, /[\ud800-\udbff]/.test(text[maxLength - 1]!) ? maxLength - 1 : maxLength) : text
  const backslashed = kept.replace(MARKDOWN_SIGNIFICANT, "\\$&")
  // Line breaks go before the control characters, which include `\r`.
  const escaped = NEEDS_MORE_THAN_BACKSLASHES.test(kept)
    ? backslashed.replace(LINE_BREAK, "<br>").replace(/\t/g, " ").replace(CONTROL_OR_LONE_SURROGATE, "\ufffd")
    : backslashed
  return cut ? `${escaped} … *(${text.length - kept.length} more characters)*` : escaped
}
