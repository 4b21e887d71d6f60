/**
 * URLs. STIX 2.1 wants an RFC 3986 URI (the OASIS schema checks `format: uri`); the official connector
 * takes `target_url` as it comes. A value that already is a URI is kept verbatim, so its id equals the
 * official connector's. A value that is not, but names a scheme, is written in the form STIX requires: an
 * internationalised host in punycode and every character a URI cannot hold percent-encoded as UTF-8
 * (spaces, non-ASCII, `"<>\^`{|}`, a `%` that starts no escape). Anything else (no scheme, a malformed
 * authority) is not a URL.
 */
import { asciiDomain } from "./DomainName.js"
import { isIpv6 } from "./IpAddress.js"
import { redactCredentials } from "./SecretText.js"
import { isSensitiveField } from "./SensitiveFields.js"

// RFC 3986 Appendix A.
const UNRESERVED = "a-z0-9\\-._~"
const SUB_DELIMS = "!$&'()*+,;="
const PCT_ENCODED = "%[0-9a-f]{2}"
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT_ENCODED})`
const SEGMENT = `${PCHAR}*`
const SEGMENT_NZ = `${PCHAR}+`
const USERINFO = `(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT_ENCODED})*`
const REG_NAME = `(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT_ENCODED})*`
// The bracketed IPv6 literal is captured and checked with the IPv6 parser (no zone: RFC 3986 has none).
const HOST = `(?:\\[([0-9a-f:.]+)\\]|${REG_NAME})`
const AUTHORITY = `(?:${USERINFO}@)?${HOST}(?::[0-9]*)?`
const HIER_PART = `(?://${AUTHORITY}(?:/${SEGMENT})*|/(?:${SEGMENT_NZ}(?:/${SEGMENT})*)?|${SEGMENT_NZ}(?:/${SEGMENT})*)`
const QUERY_OR_FRAGMENT = `(?:${PCHAR}|[/?])*`
const URI = new RegExp(`^[a-z][a-z0-9+\\-.]*:${HIER_PART}(?:\\?${QUERY_OR_FRAGMENT})?(?:#${QUERY_OR_FRAGMENT})?$`, "i")

export const isUri = (text: string): boolean => {
  const match = URI.exec(text)
  return match !== null && (match[1] === undefined || isIpv6(match[1]))
}

const SCHEME = /^[a-z][a-z0-9+\-.]*:/i
const NON_ASCII = /[^\u0000-\u007f]/
/** Characters a URI may hold as they are (unreserved, reserved and `%`); every other one is encoded. */
// No `i` flag: with `u` it would let `ſ` and the Kelvin sign pass as letters.
const NOT_URI_CHARACTER = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]%]/gu
const STRAY_PERCENT = /%(?![0-9a-f]{2})/gi

/** Puts an internationalised host of `scheme://host...` into punycode; undefined when it cannot be. */
const asciiHost = (text: string, schemeLength: number): string | undefined => {
  const authorityStart = schemeLength + 2
  if (text.slice(schemeLength, authorityStart) !== "//") return text
  const rest = text.slice(authorityStart)
  const authorityEnd = rest.search(/[/?#]/)
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd)
  if (!NON_ASCII.test(authority)) return text
  const hostStart = authority.lastIndexOf("@") + 1
  const portMatch = /:[0-9]*$/.exec(authority.slice(hostStart))
  const hostEnd = portMatch === null ? authority.length : hostStart + portMatch.index
  const host = authority.slice(hostStart, hostEnd)
  if (!NON_ASCII.test(host)) return text
  const ascii = asciiDomain(host)
  if (ascii === undefined) return undefined
  return text.slice(0, authorityStart) + authority.slice(0, hostStart) + ascii + authority.slice(hostEnd) +
    (authorityEnd < 0 ? "" : rest.slice(authorityEnd))
}

/** The STIX `url` value for a URL, or undefined when it is not one. */
export const urlValue = (text: string): string | undefined => {
  if (isUri(text)) return text
  const scheme = SCHEME.exec(text)
  if (scheme === null) return undefined
  const withAsciiHost = asciiHost(text, scheme[0].length)
  if (withAsciiHost === undefined) return undefined
  const encoded = withAsciiHost
    .replace(STRAY_PERCENT, "%25")
    .replace(NOT_URI_CHARACTER, (character) => encodeURIComponent(character))
  return isUri(encoded) ? encoded : undefined
}

const parameterName = (part: string): string => {
  const name = part.split("=", 1)[0]!
  try {
    return decodeURIComponent(name)
  } catch {
    return name
  }
}

/** `a=1&password=x` without the parameters named like secrets; undefined when none is left. */
const withoutSecretParameters = (parameters: string): string | undefined => {
  const kept = parameters.split("&").filter((part) => !isSensitiveField(parameterName(part)))
  return kept.length === 0 ? undefined : kept.join("&")
}

/**
 * A URL without the credentials it carries: the `user:password@` of its authority (but for `android://`
 * URLs, where it is the app's signing-key hash), and query or fragment
 * parameters named like secrets (`password`, `token`, `access_token`, `apikey`, `sig`...), removed
 * outright; a JSON Web Token or `Bearer` value elsewhere is replaced by `REDACTED`. A URL without any is
 * returned as it is, so its observable id does not change.
 */
export const withoutUrlCredentials = (text: string): string => {
  const hashAt = text.indexOf("#")
  const beforeFragment = hashAt < 0 ? text : text.slice(0, hashAt)
  const fragment = hashAt < 0 ? undefined : text.slice(hashAt + 1)
  const queryAt = beforeFragment.indexOf("?")
  let base = queryAt < 0 ? beforeFragment : beforeFragment.slice(0, queryAt)
  const query = queryAt < 0 ? undefined : beforeFragment.slice(queryAt + 1)
  const scheme = SCHEME.exec(base)
  // `android://<hash>@<package>/` (how browsers store app logins) holds the app's signing-key hash there.
  if (scheme !== null && base.startsWith("//", scheme[0].length) && scheme[0].toLowerCase() !== "android:") {
    const authorityStart = scheme[0].length + 2
    const slashAt = base.indexOf("/", authorityStart)
    const authorityEnd = slashAt < 0 ? base.length : slashAt
    const userinfoEnd = base.lastIndexOf("@", authorityEnd - 1)
    if (userinfoEnd >= authorityStart) base = base.slice(0, authorityStart) + base.slice(userinfoEnd + 1)
  }
  const keptQuery = query === undefined ? undefined : withoutSecretParameters(query)
  const keptFragment = fragment === undefined || !fragment.includes("=")
    ? fragment
    : withoutSecretParameters(fragment)
  const stripped = base + (keptQuery === undefined ? "" : `?${keptQuery}`) +
    (keptFragment === undefined ? "" : `#${keptFragment}`)
  const result = redactCredentials(stripped)
  // Byte for byte the input when nothing was removed (an empty `?` or `#` included).
  return result === stripped && stripped.length === text.length ? text : result
}
