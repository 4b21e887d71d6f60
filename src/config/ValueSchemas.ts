/**
 * Schemas that turn the text of one configuration variable into its value. Every failure carries a
 * message that says what was expected, because it ends up verbatim in the configuration report.
 */
import { DateTime, Duration, Effect, ParseResult, Schema } from "effect"
import { parseIsoInstant } from "../lib/IsoInstant.js"
import { CatalogJson } from "./CatalogJson.js"
import { isoDurationSeconds } from "./IsoDuration.js"

const fail = (ast: Schema.Schema.AnyNoContext["ast"], actual: unknown, message: string) =>
  ParseResult.fail(new ParseResult.Type(ast, actual, message))

const TRUE_WORDS = new Set(["true", "yes", "1", "on"])
const FALSE_WORDS = new Set(["false", "no", "0", "off"])

/** pycti reads `true`/`yes`/`True` and `false`/`no`/`False`; we accept those in any case, plus 1/0 and on/off. */
export const Bool = Schema.transformOrFail(Schema.String, Schema.Boolean, {
  strict: true,
  decode: (text, _, ast) => {
    const word = text.trim().toLowerCase()
    if (TRUE_WORDS.has(word)) return ParseResult.succeed(true)
    if (FALSE_WORDS.has(word)) return ParseResult.succeed(false)
    return fail(ast, text, `"${text}" is not a boolean; expected true or false`)
  },
  encode: (value) => ParseResult.succeed(String(value))
}).annotations({ [CatalogJson]: { type: "boolean" } })

const numberSchema = (options: { integer: boolean; min: number; max: number; what: string }) =>
  Schema.transformOrFail(Schema.String, Schema.Number, {
    strict: true,
    decode: (text, _, ast) => {
      const trimmed = text.trim()
      const value = Number(trimmed)
      const ok = trimmed !== "" && Number.isFinite(value) && (!options.integer || Number.isInteger(value)) &&
        value >= options.min && value <= options.max
      return ok ? ParseResult.succeed(value) : fail(ast, text, `"${text}" is not ${options.what}`)
    },
    encode: (value) => ParseResult.succeed(String(value))
  }).annotations({
    [CatalogJson]: {
      type: options.integer ? "integer" : "number",
      minimum: options.min,
      // The largest safe numbers stand for "no bound".
      ...(options.max < Number.MAX_SAFE_INTEGER ? { maximum: options.max } : {})
    }
  })

export const NonNegativeInt = numberSchema({
  integer: true,
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  what: "a whole number ≥ 0"
})
export const PositiveInt = numberSchema({
  integer: true,
  min: 1,
  max: Number.MAX_SAFE_INTEGER,
  what: "a whole number ≥ 1"
})
export const NonNegativeNumber = numberSchema({ integer: false, min: 0, max: Number.MAX_VALUE, what: "a number ≥ 0" })
export const Port = numberSchema({ integer: true, min: 1, max: 65_535, what: "a TCP port (1-65535)" })

/** A non-empty string, trimmed. */
export const Text = Schema.transformOrFail(Schema.String, Schema.String, {
  strict: true,
  decode: (text, _, ast) => {
    const trimmed = text.trim()
    return trimmed === "" ? fail(ast, text, "must not be empty") : ParseResult.succeed(trimmed)
  },
  encode: ParseResult.succeed
}).annotations({ [CatalogJson]: { type: "string", minLength: 1 } })

/** One of a fixed set of words, compared case-insensitively and returned in its canonical spelling. */
export const OneOf = <const W extends string>(words: ReadonlyArray<W>, aliases: Record<string, W> = {}) =>
  Schema.transformOrFail(Schema.String, Schema.Literal(...words), {
    strict: true,
    decode: (text, _, ast) => {
      const word = text.trim().toLowerCase()
      const found = words.find((candidate) => candidate.toLowerCase() === word) ?? aliases[word]
      return found === undefined
        ? fail(ast, text, `"${text}" is not one of ${words.join(", ")}`)
        : ParseResult.succeed(found)
    },
    encode: (value) => ParseResult.succeed(value)
  }).annotations({
    [CatalogJson]: words.length === 1 && Object.keys(aliases).length === 0
      ? { type: "string", const: words[0] }
      : { type: "string", enum: [...words, ...Object.keys(aliases)] }
  })

/**
 * A comma-separated list (spaces tolerated, empty items ignored, duplicates dropped) whose items must
 * belong to `allowed`. The empty string is the empty list.
 */
export const CommaList = <const A extends string | number>(
  allowed: ReadonlyArray<A>,
  what: string,
  parseItem: (item: string) => unknown
) =>
  Schema.transformOrFail(Schema.String, Schema.Array(Schema.Any as Schema.Schema<A>), {
    strict: true,
    decode: (text, _, ast) => {
      const items = text.split(",").map((item) => item.trim()).filter((item) => item !== "")
      const values: Array<A> = []
      const wrong: Array<string> = []
      for (const item of items) {
        const value = parseItem(item) as A
        if (!allowed.includes(value)) wrong.push(item)
        else if (!values.includes(value)) values.push(value)
      }
      return wrong.length > 0
        ? fail(
          ast,
          text,
          `${wrong.map((item) => `"${item}"`).join(", ")} ${wrong.length > 1 ? "are not" : "is not a"} ${what}; ` +
            `expected a comma-separated list of ${allowed.join(", ")}`
        )
        : ParseResult.succeed(values as ReadonlyArray<A>)
    },
    encode: (values) => ParseResult.succeed(values.join(","))
  }).annotations({
    // The platform's form joins a list with commas, as this schema reads it.
    [CatalogJson]: {
      type: "array",
      items: { type: allowed.every((item) => typeof item === "number") ? "integer" : "string", enum: allowed }
    }
  })

/** An http(s) URL. `trailingSlash` decides whether the normalised form ends with `/` or never does. */
export const HttpUrl = (trailingSlash: boolean) =>
  Schema.transformOrFail(Schema.String, Schema.String, {
    strict: true,
    decode: (text, _, ast) => {
      const trimmed = text.trim()
      let url: URL
      try {
        url = new URL(trimmed)
      } catch {
        return fail(ast, text, `"${text}" is not a URL; expected e.g. https://host:port/path`)
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return fail(ast, text, `"${text}" must start with http:// or https://`)
      }
      const withoutSlash = trimmed.replace(/\/+$/, "")
      return ParseResult.succeed(trailingSlash ? `${withoutSlash}/` : withoutSlash)
    },
    encode: ParseResult.succeed
  }).annotations({ [CatalogJson]: { type: "string", format: "uri" } })

/**
 * A start date: an ISO-8601 date or date-time (UTC when no zone is given), or a relative ISO-8601
 * duration such as `P30D` meaning "that long before now", as the official connector also accepts.
 */
export const StartDate = Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const instant = parseIsoInstant(text)
    if (instant) return ParseResult.succeed(DateTime.unsafeMake(instant))
    if (/^P/i.test(text.trim())) {
      const seconds = isoDurationSeconds(text)
      if (typeof seconds === "number") {
        return Effect.map(DateTime.now, (now) => DateTime.subtractDuration(now, Duration.seconds(seconds)))
      }
    }
    return fail(
      ast,
      text,
      `"${text}" is not an ISO-8601 date; expected e.g. 2024-01-01, 2024-01-01T00:00:00Z or a duration such as P30D`
    )
  },
  encode: (value) => ParseResult.succeed(DateTime.formatIso(value))
  // A date, a date-time or a duration: no single JSON Schema format covers the three.
}).annotations({ [CatalogJson]: { type: "string", minLength: 1 } })
