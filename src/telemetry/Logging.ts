/**
 * Log output like pycti's: one JSON object per line on stderr (`timestamp`, `level`, `name`, `message`,
 * `attributes`), or `LEVEL:name:message` text. Attributes are the fiber's log annotations.
 */
import { Cause, HashMap, Inspectable, Layer, Logger, LogLevel } from "effect"
import type { LogLevelName } from "../config/Settings.js"

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
      text.push(typeof part === "string" ? part : Inspectable.toStringUnknown(part, 0))
    }
  }
  return { text: text.join(" "), attributes }
}

/** pycti's timestamp: UTC with microseconds (`2025-01-01T00:00:00.123000Z`). */
const timestamp = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

const attributesOf = (
  annotations: HashMap.HashMap<string, unknown>,
  cause: Cause.Cause<unknown>,
  fromMessage: Record<string, unknown>
) => {
  const attributes: Record<string, unknown> = {}
  for (const [key, value] of annotations) attributes[key] = value
  Object.assign(attributes, fromMessage)
  if (!Cause.isEmpty(cause)) attributes.cause = Cause.pretty(cause, { renderErrorCause: true })
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
    write(JSON.stringify(entry) + "\n")
  })

export const textLogger = (name: string, write: (line: string) => void) =>
  Logger.make(({ annotations, cause, logLevel, message }) => {
    const { attributes: fromMessage, text } = splitMessage(message)
    const attributes = Object.entries(attributesOf(annotations, cause, fromMessage))
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    const suffix = attributes.length > 0 ? ` (${attributes.join(", ")})` : ""
    write(`${LEVEL_NAMES[logLevel._tag]}:${name}:${text}${suffix}\n`)
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
