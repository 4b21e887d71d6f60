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
