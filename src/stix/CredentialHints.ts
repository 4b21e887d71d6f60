/**
 * Which of the credential patterns of `redactCredentials` could match a text, from one pass over its
 * characters: each pattern needs certain characters (a URL password needs `:` and `@`, a parameter `=`, an
 * `Authorization`-style value a separator after the scheme name, a JSON Web Token two dots), and most text
 * lacks them. A hint only rules a pattern out; a set bit means "maybe", decided by the pattern itself.
 */

export const USERINFO_HINT = 1
export const PARAMETER_HINT = 2
export const AUTH_SCHEME_HINT = 4
export const JWT_HINT = 8

const COLON = 58
const AT = 64
const EQUALS = 61
const DOT = 46

/** Exactly the characters `\s` matches (JavaScript's WhiteSpace and LineTerminator). */
const isWhitespace = (code: number): boolean =>
  code <= 32
    ? code === 32 || (code >= 9 && code <= 13)
    : code >= 0xa0 &&
      (code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 ||
        code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff)

/** A bit set of the `*_HINT`s whose pattern may match `text`; 0 when none can. */
export const credentialHints = (text: string): number => {
  let colon = false
  let at = false
  let equals = false
  let space = false
  let dots = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === COLON) colon = true
    else if (code === AT) at = true
    else if (code === EQUALS) equals = true
    else if (code === DOT) dots++
    else if (isWhitespace(code)) space = true
  }
  return (colon && at ? USERINFO_HINT : 0) | (equals ? PARAMETER_HINT : 0) |
    (colon || equals || space ? AUTH_SCHEME_HINT : 0) | (dots >= 2 ? JWT_HINT : 0)
}
