/**
 * OPENCTI_CUSTOM_HEADERS, as pycti reads it: `name:value;name2:value2`, split on `;`, then on the first
 * `:`, both sides trimmed. A malformed pair is skipped (and reported by position only, since values may
 * be secrets such as a proxy's API key).
 */

export interface ParsedHeaders {
  readonly headers: Readonly<Record<string, string>>
  /** 1-based positions of the pairs that were skipped. */
  readonly skipped: ReadonlyArray<number>
}

export const parseCustomHeaders = (text: string): ParsedHeaders => {
  const headers: Record<string, string> = {}
  const skipped: Array<number> = []
  text.split(";").forEach((pair, index) => {
    if (pair.trim() === "") return
    const colon = pair.indexOf(":")
    const name = colon < 0 ? "" : pair.slice(0, colon).trim()
    // An HTTP header name is a token: anything else would make every request fail.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      skipped.push(index + 1)
      return
    }
    headers[name.toLowerCase()] = pair.slice(colon + 1).trim()
  })
  return { headers, skipped }
}
