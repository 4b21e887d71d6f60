/**
 * Which record fields hold secrets or payment data (docs/spycloud-api.md, "Sensitive fields"; docs/decisions.md,
 * "Secrets redacted by default"). By default their values never leave the connector: the description says the
 * field exists, not what it holds. SpyCloud's full schema is customer-only and grows, so unknown field names that
 * look like secrets are caught too.
 */

/** The list of docs/spycloud-api.md, "Sensitive fields": what Google SecOps' and Elastic's integrations drop. */
const LISTED = new Set([
  "password",
  "password_plaintext",
  "password_value",
  "password_raw",
  "new_password",
  "old_password",
  "salt",
  "account_password",
  "account_secret",
  "account_secret_question",
  "api_token",
  "api_token_secret",
  "private_key",
  "private_key_password",
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

/** Derived facts that name a secret without holding it; they stay visible. */
const DESCRIBES_A_SECRET = new Set(["password_type", "has_password", "has_plaintext_password"])

/** Field names that look like secrets even when SpyCloud adds them later. */
const SECRET_LOOKING =
  /pass(?:word|wd|phrase)|secret|token|cookie|session_id|private_key|api_key|salt|credential|cvv|^cc_/i

export const isSensitiveField = (name: string): boolean =>
  LISTED.has(name) || (!DESCRIBES_A_SECRET.has(name) && SECRET_LOOKING.test(name))
