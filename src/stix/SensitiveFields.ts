/**
 * Which field names hold secrets or payment data (docs/decisions.md, "Secrets redacted by default"). By default their values never leave the connector: the
 * description says the field exists, not what it holds. SpyCloud's full schema is customer-only and grows,
 * and a record's objects can nest anything, so a name is judged by the words it is made of (`pwd`,
 * `otp_seed`, `apiKey`, `x-auth`), not by a list; only a few names that merely describe a secret are
 * allowed through. Matching errs on the side of hiding: a harmless field that looks secret is hidden.
 */

import { memoizeBounded } from "../lib/MemoizeBounded.js"

/** SpyCloud's documented secret fields, some of which no pattern below would catch (`form_post_data`). */
const LISTED = new Set([
  "password",
  "password_plaintext",
  "salt",
  "account_secret",
  "account_secret_question",
  "api_token",
  "private_key",
  "credentials",
  "form_post_data",
  "form_cookies_data",
  "cookie_data",
  "cookies",
  "cc_number",
  "cc_code",
  "cc_expiration",
  "cc_bin",
  "cc_last_four",
  "bank_number",
  "bank_routing_number",
  "taxid",
  "ssn",
  "national_id"
])

/** Names that describe a secret without holding it. */
const HARMLESS = new Set(["password_type", "has_password", "has_plaintext_password", "password_length"])

/** Word fragments that mark a secret wherever they occur in a name (`new_password`, `apikey`). */
const SECRET_FRAGMENT =
  /pass|pwd|secret|token|cookie|session|jwt|bearer|credential|cvv|salt|private|apikey|accesskey|signature|mnemonic|oauth/

/** Whole words that mark a secret only as a word of their own (`pin` but not `shipping`). */
const SECRET_WORD =
  /^(?:pw|key|keys|pin|pins|pincode|otp|totp|hotp|ssn|sin|cvc|cc|card|iban|bic|swift|bank|routing|tax|taxid|national|seed|hash|nonce|csrf|xsrf|sid|keyfile|keychain|passport|mfa|sig)$/

/** Words that start a secret's name (`auth`, `authorization`, `authentication`; not `author`). */
const SECRET_PREFIX = /^(?:auth(?!ors?$)|otp|cred|priv|secr)/

/** Splits `otpSeed`, `aws-access_key`, `X-Auth` into lower-case words. */
const words = (name: string): Array<string> =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "")

const judge = (name: string): boolean => {
  const lower = name.toLowerCase()
  if (LISTED.has(lower)) return true
  if (HARMLESS.has(lower)) return false
  if (SECRET_FRAGMENT.test(lower.replace(/[^a-z0-9]/g, ""))) return true
  return words(name).some((word) => SECRET_WORD.test(word) || SECRET_PREFIX.test(word))
}

// The same names come back in every record and URL (`password`, `next`, `id`): the verdicts on the last few
// thousand short ones are kept.
const CACHED_NAMES = 4096
const MAX_CACHED_NAME_LENGTH = 100
const cachedJudge = memoizeBounded(CACHED_NAMES, judge)

export const isSensitiveField = (name: string): boolean =>
  name.length > MAX_CACHED_NAME_LENGTH ? judge(name) : cachedJudge(name)
