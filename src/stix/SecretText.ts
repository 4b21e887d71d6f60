/**
 * Credentials inside free text: the password of a URL's `user:password@`, query or fragment parameters named like secrets
 * (`?password=…`, `&token=…`, `#access_token=…`), `Authorization`-style schemes (`Bearer …`, `Basic …`) and
 * JSON Web Tokens. They are replaced by `REDACTED`; everything else stays as it is, so text without any of
 * them comes back unchanged (and an observable built from it keeps its id).
 */
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

/** The only characters these patterns start on; text without them is returned at once. */
const MAY_HOLD_CREDENTIALS = /[@=]|bearer|basic|digest|token|apikey|api-key|negotiate|eyj/i

const parameterName = (raw: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** The text with every credential it visibly holds replaced by `REDACTED`. */
export const redactCredentials = (text: string): string => {
  if (!MAY_HOLD_CREDENTIALS.test(text)) return text
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(
      PARAMETER,
      (whole, start: string, name: string, value: string) =>
        value !== "" && isSensitiveField(parameterName(name)) ? `${start}${name}=${REDACTED}` : whole
    )
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED)
}

/** Whether `redactCredentials` would change the text. */
export const holdsCredentials = (text: string): boolean => redactCredentials(text) !== text
