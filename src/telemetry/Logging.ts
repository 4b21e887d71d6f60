/**
 * Log output like pycti's: one JSON object per line on stderr (`timestamp`, `level`, `name`, `message`,
 * `attributes`), or `LEVEL:name:message` text. Attributes are the fiber's log annotations.
 */
import { Cause, HashMap, Inspectable, Layer, Logger, LogLevel } from "effect"
import type { LogLevelName } from "../config/Settings.js"
import { scrubSecrets } from "../lib/SecretScrubber.js"
import { previewValue, truncateText } from "../lib/ValuePreview.js"

const LEVEL_NAMES: Record<LogLevel.LogLevel["_tag"], string> = {
  All: "DEBUG",
  Trace: "DEBUG",
  Debug: "DEBUG",
  Info: "INFO",
  Warning: "WARNING",
  Error: "ERROR",
  Fatal: "CRITICAL",
  None: "INFO"
}

const MINIMUM: Record<LogLevelName, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype

/**
 * `Effect.logInfo("text", { key: value })`: plain objects among the message parts are attributes (pycti's
 * `logger.info(message, meta)`); everything else is message text.
 */
const splitMessage = (message: unknown): { text: string; attributes: Record<string, unknown> } => {
  const parts = Array.isArray(message) ? message : [message]
  const text: Array<string> = []
  const attributes: Record<string, unknown> = {}
  for (const part of parts) {
    if (isPlainObject(part)) {
      for (const [key, value] of Object.entries(part)) if (value !== undefined) attributes[key] = value
    } else {
      text.push(typeof part === "string" ? part : truncateText(Inspectable.toStringUnknown(part, 0), MAX_VALUE_LENGTH))
    }
  }
  return { text: text.join(" "), attributes }
}

/** Longest attribute value or cause written; a log line is for reading, not for carrying data. */
const MAX_VALUE_LENGTH = 4000

/** A bounded text of an attribute: strings cut, other values as JSON (which can fail on deep input). */
const boundedValue = (value: unknown): unknown => {
  if (typeof value === "string") return truncateText(value, MAX_VALUE_LENGTH)
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch {
    json = undefined
  }
  if (json === undefined) return previewValue(value)
  return json.length <= MAX_VALUE_LENGTH ? value : truncateText(json, MAX_VALUE_LENGTH)
}

/**
 * Control characters in text logs written as escapes (`\n`, `\u001b`): a value holding a line break must
 * not forge a log line, nor an escape sequence repaint the terminal.
 */
export const escapeControlCharacters = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (character) => {
    switch (character) {
      case "\n":
        return "\\n"
      case "\r":
        return "\\r"
      case "\t":
        return "\\t"
      default:
        return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`
    }
  })

/** pycti's timestamp: UTC with microseconds (`2025-01-01T00:00:00.123000Z`). */
const timestamp = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

const attributesOf = (
  annotations: HashMap.HashMap<string, unknown>,
  cause: Cause.Cause<unknown>,
  fromMessage: Record<string, unknown>
) => {
  const attributes: Record<string, unknown> = {}
  for (const [key, value] of annotations) attributes[key] = boundedValue(value)
  for (const [key, value] of Object.entries(fromMessage)) attributes[key] = boundedValue(value)
  if (!Cause.isEmpty(cause)) {
    attributes.cause = truncateText(Cause.pretty(cause, { renderErrorCause: true }), MAX_VALUE_LENGTH)
  }
  return attributes
}

export const jsonLogger = (name: string, write: (line: string) => void) =>
  Logger.make(({ annotations, cause, date, logLevel, message }) => {
    const { attributes: fromMessage, text } = splitMessage(message)
    const attributes = attributesOf(annotations, cause, fromMessage)
    const entry: Record<string, unknown> = {
      timestamp: timestamp(date),
      level: LEVEL_NAMES[logLevel._tag],
      name,
      message: text
    }
    if (Object.keys(attributes).length > 0) entry.attributes = attributes
    write(scrubSecrets(JSON.stringify(entry)) + "\n")
  })

export const textLogger = (name: string, write: (line: string) => void) =>
  Logger.make(({ annotations, cause, logLevel, message }) => {
    const { attributes: fromMessage, text } = splitMessage(message)
    const attributes = Object.entries(attributesOf(annotations, cause, fromMessage))
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    const suffix = attributes.length > 0 ? ` (${attributes.join(", ")})` : ""
    write(scrubSecrets(escapeControlCharacters(`${LEVEL_NAMES[logLevel._tag]}:${name}:${text}${suffix}`)) + "\n")
  })

const stderr = (line: string) => {
  process.stderr.write(line)
}

/** Replaces Effect's default logger and sets the minimum level. */
export const layer = (options: {
  readonly name: string
  readonly json: boolean
  readonly level: LogLevelName
  readonly write?: (line: string) => void
}): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      (options.json ? jsonLogger : textLogger)(options.name, options.write ?? stderr)
    ),
    Logger.minimumLogLevel(MINIMUM[options.level])
  )
