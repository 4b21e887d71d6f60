/**
 * MAC addresses. STIX 2.1 requires lower-case, colon-separated octets (`00:0a:95:9d:68:16`); SpyCloud
 * documents `mac_address` as a 12-character hardware address. Accepted spellings: six octets separated by
 * `:` or `-` (what the official connector accepts), twelve bare hex digits, and Cisco's dotted
 * `000a.959d.6816`. A value already in STIX form keeps the official connector's id.
 */

const SEPARATED = /^[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}$/i
const BARE = /^[0-9a-f]{12}$/i
const DOTTED = /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i

/** The STIX `mac-addr` value, or undefined when the text is not a MAC address. */
export const macValue = (text: string): string | undefined => {
  let digits: string
  if (SEPARATED.test(text)) digits = text.replace(/[:-]/g, "")
  else if (BARE.test(text)) digits = text
  else if (DOTTED.test(text)) digits = text.replace(/\./g, "")
  else return undefined
  return digits.toLowerCase().match(/../g)!.join(":")
}
