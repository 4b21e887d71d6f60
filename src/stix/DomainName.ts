/**
 * Domain name validation with the rules of `validators.domain` 0.35 that the official connector applies
 * (docs/stix-mapping.md, "Validation per type"): no whitespace and no `__`; the IDNA-encoded form must be
 * dot-separated LDH labels of at most 63 characters, with a top-level label that ends in a letter. `validators`
 * also allows `_` inside the top-level label; no real one has it and STIX's `idn-hostname` forbids it, so it is
 * rejected here. Internationalised names are accepted and kept in their Unicode form, as the official connector
 * emits them.
 */
import { domainToASCII } from "node:url"

const DOMAIN_PATTERN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z]$/i
const WHITESPACE_OR_DOUBLE_UNDERSCORE = /\s|__/
const NON_ASCII = /[^\u0000-\u007f]/

/**
 * The ASCII (punycode) form of a domain, or undefined when it cannot be encoded. ASCII names are returned
 * unchanged; others go through the WHATWG/UTS #46 mapping, the IDNA processing Node ships (Python uses
 * IDNA 2003: the two agree on everything but a few deviation characters such as `ß`).
 */
export const asciiDomain = (domain: string): string | undefined => {
  if (!NON_ASCII.test(domain)) return domain
  const ascii = domainToASCII(domain)
  return ascii === "" ? undefined : ascii
}

export const isValidDomain = (domain: string): boolean => {
  if (domain === "" || domain.length > 253 || WHITESPACE_OR_DOUBLE_UNDERSCORE.test(domain)) return false
  const ascii = asciiDomain(domain)
  return ascii !== undefined && DOMAIN_PATTERN.test(ascii)
}
