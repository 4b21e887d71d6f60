/**
 * IP address validation with Python's `ipaddress.ip_address` rules, which decide what the official connector
 * accepts (docs/stix-mapping.md, "Validation per type"): dotted-quad IPv4 without leading zeros, IPv6 with at most
 * one `::`, an optional IPv4 tail and an optional `%zone`. No surrounding spaces, no CIDR suffix. Accepted values
 * are emitted verbatim (not compressed or lower-cased), so their ids equal the official connector's.
 */

export type IpVersion = "ipv4" | "ipv6"

const OCTET = /^(?:0|[1-9][0-9]{0,2})$/
const HEXTET = /^[0-9A-Fa-f]{1,4}$/

export const isIpv4 = (text: string): boolean => {
  const octets = text.split(".")
  if (octets.length !== 4) return false
  for (const octet of octets) {
    if (!OCTET.test(octet) || Number(octet) > 255) return false
  }
  return true
}

export const isIpv6 = (text: string): boolean => {
  const zoneAt = text.indexOf("%")
  let address = text
  if (zoneAt >= 0) {
    const zone = text.slice(zoneAt + 1)
    if (zone === "" || zone.includes("%")) return false
    address = text.slice(0, zoneAt)
  }
  const parts = address.split(":")
  if (parts.length < 3) return false
  // An IPv4 tail stands for the last two hextets.
  let hextetsNeeded = 8
  const last = parts[parts.length - 1]!
  if (last.includes(".")) {
    if (!isIpv4(last)) return false
    parts.pop()
    parts.push("0") // placeholder hextet, so that `::` handling below sees a non-empty tail
    hextetsNeeded = 7
  }
  if (parts.length > hextetsNeeded + 1) return false
  // `::` is the one empty part allowed strictly inside; a leading or trailing empty part must be part of it.
  let skipAt = -1
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i] === "") {
      if (skipAt >= 0) return false
      skipAt = i
    }
  }
  let leading = parts.length
  let trailing = 0
  if (skipAt >= 0) {
    leading = skipAt
    trailing = parts.length - skipAt - 1
    if (parts[0] === "") {
      if (--leading !== 0) return false
    }
    if (parts[parts.length - 1] === "") {
      if (--trailing !== 0) return false
    }
    if (leading + trailing + 1 > hextetsNeeded) return false
  } else if (parts.length !== hextetsNeeded) {
    return false
  }
  for (let i = 0; i < parts.length; i++) {
    if (i === skipAt || (skipAt >= 0 && (i === 0 || i === parts.length - 1) && parts[i] === "")) continue
    if (!HEXTET.test(parts[i]!)) return false
  }
  return true
}

/** The address family of a valid IP address, or undefined when Python would reject it. */
export const ipVersion = (text: string): IpVersion | undefined =>
  isIpv4(text) ? "ipv4" : isIpv6(text) ? "ipv6" : undefined
