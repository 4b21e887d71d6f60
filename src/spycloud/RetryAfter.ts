/**
 * The `Retry-After` header (RFC 9110 section 10.2.3): a number of seconds or an HTTP date. SpyCloud's gateway may
 * send either form; a peer integration shipped a bug by parsing only the first.
 */
import { Duration, Option } from "effect"

const SECONDS = /^\d+$/

/** How long the server asked to wait, measured from `nowMillis`; none when absent or unreadable. */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const text = value.trim()
  if (SECONDS.test(text)) return Option.some(Duration.seconds(Number(text)))
  // Only the date forms of RFC 9110 carry a weekday or a month name; anything else is not a date.
  if (!/[a-z]{3}/i.test(text)) return Option.none()
  const at = Date.parse(text)
  if (Number.isNaN(at)) return Option.none()
  // A date in the past means "now".
  return Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}
