/**
 * Email validation. STIX 2.1 wants an RFC 5322 addr-spec (the OASIS schema checks `format: email`, ASCII only);
 * the official connector accepts what `validators.email` 0.35 accepts (docs/stix-mapping.md, "Validation per
 * type"). A value becomes an `email-addr` when it satisfies both: one `@`, an ASCII dot-atom local part of at most
 * 64 characters, and a domain part that `validators.domain` accepts. Such values are kept verbatim, so their ids
 * equal the official connector's. An internationalised domain part is written in its punycode form (the form STIX
 * requires); a non-ASCII or quoted local part cannot be written as STIX and is rejected.
 */
import { asciiDomain, isValidDomain } from "./DomainName.js"

const DOT_ATOM = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i
const NON_ASCII = /[^\u0000-\u007f]/

/** The `email-addr` value for an address, or undefined when it is not a valid address. */
export const emailValue = (text: string): string | undefined => {
  const at = text.indexOf("@")
  if (at <= 0 || at !== text.lastIndexOf("@")) return undefined
  const local = text.slice(0, at)
  const domain = text.slice(at + 1)
  if (local.length > 64 || domain.length > 253 || !DOT_ATOM.test(local) || !isValidDomain(domain)) return undefined
  return NON_ASCII.test(domain) ? `${local}@${asciiDomain(domain)}` : text
}
