/**
 * Credentials inside free text: the password of a URL's `user:password@`, query or fragment parameters named like secrets
 * (`?password=…`, `&token=…`, `#access_token=…`), `Authorization`-style schemes (`Bearer …`, `Basic …`) and
 * JSON Web Tokens. They are replaced by `REDACTED`; everything else stays as it is, so text without any of
 * them comes back unchanged (and an observable built from it keeps its id).
 */
import { AUTH_SCHEME_HINT, credentialHints, JWT_HINT, PARAMETER_HINT, USERINFO_HINT } from "./CredentialHints.js"
import { isSensitiveField } from "./SensitiveFields.js"

export const REDACTED = "REDACTED"

/**
 * The password of `scheme://user:password@` (a user name alone stays: it names, it does not unlock; an
 * `android://` user-info is an app's key hash).
 */
const URL_USERINFO = /\b(?!android:\/\/)([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]*@/gi
/** `name=value` after the start of a query, a fragment, a separator or a space. */
const PARAMETER = /(^|[?&;#\s,])([^=\s?&;#,]{1,100})=([^&;#\s,]*)/g
const AUTH_SCHEME = /\b(bearer|basic|digest|token|apikey|api-key|negotiate)(\s+|=|:\s*)[a-z0-9\-._~+/]{8,}=*/gi
const JWT = /\beyJ[a-z0-9_-]{5,}\.[a-z0-9_-]{5,}\.[a-z0-9_-]*/gi
/** What the two patterns above cannot match without: testing for it is cheaper than a replace that finds nothing. */
const AUTH_SCHEME_NAME = /bearer|basic|digest|token|apikey|api-key|negotiate/i
const JWT_START = /eyj/i

const parameterName = (raw: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

const redactParameter = (whole: string, start: string, name: string, value: string): string =>
  value !== "" && isSensitiveField(parameterName(name)) ? `${start}${name}=${REDACTED}` : whole

/**
 * The text with every credential it visibly holds replaced by `REDACTED`. A pattern whose hint is unset is
 * skipped: each replacement keeps parts of what it matched and adds `REDACTED`, so no later text holds a
 * `:`, `@`, `=`, whitespace or dot that the original lacked, and the original's hints hold for it too.
 */
export const redactCredentials = (text: string): string => {
  const hints = credentialHints(text)
  if (hints === 0) return text
  let result = text
  if ((hints & USERINFO_HINT) !== 0) result = result.replace(URL_USERINFO, `$1${REDACTED}@`)
  if ((hints & PARAMETER_HINT) !== 0) result = result.replace(PARAMETER, redactParameter)
  if ((hints & AUTH_SCHEME_HINT) !== 0 && AUTH_SCHEME_NAME.test(result)) {
    result = result.replace(AUTH_SCHEME, `$1$2${REDACTED}`)
  }
  if ((hints & JWT_HINT) !== 0 && JWT_START.test(result)) result = result.replace(JWT, REDACTED)
  return result
}

/** Whether `redactCredentials` would change the text. */
export const holdsCredentials = (text: string): boolean => redactCredentials(text) !== text
