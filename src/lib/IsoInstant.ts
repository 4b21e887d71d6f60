/** ISO-8601 instants as SpyCloud and config files write them. */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * Parses an ISO-8601 date (`2024-01-01`) or date-time with or without seconds, fraction and zone
 * (`2024-01-01T10:00:00Z`, `2024-01-01T10:00:00+02:00`, `2024-01-01T10:00`). A value without a zone is
 * UTC. Returns undefined for anything else, including impossible dates such as 2024-02-30.
 */
export const parseIsoInstant = (text: string): Date | undefined => {
  const trimmed = text.trim()
  const dateOnly = DATE_ONLY.exec(trimmed)
  const match = dateOnly ?? DATE_TIME.exec(trimmed)
  if (!match) return undefined
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "", zone = "Z"] = match as unknown as Array<string>
  const normalisedZone = zone.toUpperCase() === "Z" ? "Z" : zone.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2")
  const millis = fraction === "" ? "" : fraction.slice(0, 4).padEnd(4, "0")
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${normalisedZone}`)
  if (Number.isNaN(date.getTime())) return undefined
  // Reject dates that JavaScript silently rolls over (2024-02-30 → 2024-03-01).
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined
  return date
}

const DIGIT_0 = 48
const digitAt = (text: string, at: number): number => {
  const digit = text.charCodeAt(at) - DIGIT_0
  return digit >= 0 && digit <= 9 ? digit : -1
}
/** The number written by the `count` digits at `at`, or -1 when one of them is not a digit. */
const numberAt = (text: string, at: number, count: number): number => {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const digit = digitAt(text, i)
    if (digit < 0) return -1
    value = value * 10 + digit
  }
  return value
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)

/**
 * Whether the text is `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` with a real date and time (years
 * from 1000): how SpyCloud writes its dates, and already their STIX form but for the milliseconds.
 */
const isCanonicalUtc = (text: string): boolean => {
  if (text.length !== 20 && text.length !== 24) return false
  if (text[4] !== "-" || text[7] !== "-" || text[10] !== "T" || text[13] !== ":" || text[16] !== ":") return false
  if (text[text.length - 1] !== "Z" || (text.length === 24 && (text[19] !== "." || numberAt(text, 20, 3) < 0))) {
    return false
  }
  const year = numberAt(text, 0, 4)
  const month = numberAt(text, 5, 2)
  const day = numberAt(text, 8, 2)
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!
  if (day > monthDays) return false
  const hour = numberAt(text, 11, 2)
  const minute = numberAt(text, 14, 2)
  const second = numberAt(text, 17, 2)
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
}

/**
 * `parseIsoInstant(text)?.toISOString()`: an instant as a STIX timestamp, or undefined. Record dates mostly
 * come in their canonical UTC form, which is written out directly instead of through a `Date`.
 */
export const isoTimestamp = (text: string): string | undefined => {
  if (isCanonicalUtc(text)) return text.length === 24 ? text : `${text.slice(0, 19)}.000Z`
  return parseIsoInstant(text)?.toISOString()
}
