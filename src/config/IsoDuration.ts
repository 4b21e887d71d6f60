import { Duration, ParseResult, Schema } from "effect"
import { parse as parseIso } from "tinyduration"
import { CatalogJson } from "./CatalogJson.js"

const SECONDS = { weeks: 604_800, days: 86_400, hours: 3_600, minutes: 60, seconds: 1 } as const
// pycti (pydantic) reads a year as 365 days and a month as 30 days; we accept the same so that an
// existing CONNECTOR_DURATION_PERIOD keeps its meaning.
const CALENDAR_SECONDS = { years: 31_536_000, months: 2_592_000 } as const

/** Seconds of an ISO-8601 duration (`PT5M`, `P1D`, `PT1H30M`), or a reason it is not one. */
export const isoDurationSeconds = (text: string): number | string => {
  let parsed: ReturnType<typeof parseIso>
  try {
    parsed = parseIso(text.trim())
  } catch {
    return "is not an ISO-8601 duration"
  }
  if (parsed.negative) return "must not be negative"
  let total = 0
  for (const [unit, factor] of Object.entries({ ...CALENDAR_SECONDS, ...SECONDS })) {
    total += (parsed[unit as keyof typeof parsed] as number | undefined ?? 0) * factor
  }
  return total
}

/**
 * An ISO-8601 duration such as `PT5M`, `P1D` or `PT1H30M`, decoded to a `Duration`. The bare string `0`
 * is accepted as zero, which OpenCTI connectors read as "run once and terminate".
 */
export const IsoDuration = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    if (text.trim() === "0") return ParseResult.succeed(Duration.zero)
    const seconds = isoDurationSeconds(text)
    return typeof seconds === "number"
      ? ParseResult.succeed(Duration.millis(Math.round(seconds * 1000)))
      : ParseResult.fail(new ParseResult.Type(ast, text, `"${text}" ${seconds}; expected e.g. PT5M, PT1H30M, P1D`))
  },
  encode: (duration) => ParseResult.succeed(toIsoDuration(duration))
}).annotations({ [CatalogJson]: { type: "string", format: "duration" } })

/** The shortest ISO-8601 text for a duration (`PT1H30M`, `P1D`, `0` for zero). */
export const toIsoDuration = (duration: Duration.Duration): string => {
  let ms = Duration.toMillis(duration)
  if (ms === 0) return "0"
  const days = Math.floor(ms / 86_400_000)
  ms -= days * 86_400_000
  const hours = Math.floor(ms / 3_600_000)
  ms -= hours * 3_600_000
  const minutes = Math.floor(ms / 60_000)
  ms -= minutes * 60_000
  const seconds = ms / 1000
  const time = `${hours ? `${hours}H` : ""}${minutes ? `${minutes}M` : ""}${seconds ? `${seconds}S` : ""}`
  return `P${days ? `${days}D` : ""}${time ? `T${time}` : ""}`
}
