/**
 * Which of the credential patterns of `redactCredentials` could match a text, from a few scans of its
 * characters: each pattern needs certain characters (a URL password needs `:` and `@`, a parameter `=`, an
 * `Authorization`-style value a separator after the scheme name, a JSON Web Token two dots), and most text
 * lacks them. A hint only rules a pattern out; a set bit means "maybe", decided by the pattern itself.
 */

export const USERINFO_HINT = 1
export const PARAMETER_HINT = 2
export const AUTH_SCHEME_HINT = 4
export const JWT_HINT = 8

const WHITESPACE = /\s/

/** A bit set of the `*_HINT`s whose pattern may match `text`; 0 when none can. A few native scans. */
export const credentialHints = (text: string): number => {
  const colon = text.includes(":")
  const equals = text.includes("=")
  const firstDot = text.indexOf(".")
  return (colon && text.includes("@") ? USERINFO_HINT : 0) | (equals ? PARAMETER_HINT : 0) |
    (colon || equals || WHITESPACE.test(text) ? AUTH_SCHEME_HINT : 0) |
    (firstDot >= 0 && text.includes(".", firstDot + 1) ? JWT_HINT : 0)
}
