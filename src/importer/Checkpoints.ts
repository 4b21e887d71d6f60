/**
 * Connector state keys and their values (docs/opencti-protocol.md, "What the state holds"). The publish-date
 * checkpoints use the official connector's keys, so a state written by it is read and continued; the
 * modification-date watermarks are ours and follow the same pattern.
 */
import { Either, Option } from "effect"
import type { WatchlistType } from "../config/Settings.js"
import { parseIsoInstant } from "../lib/IsoInstant.js"
import type { StateData } from "./ConnectorState.js"
import { checkpointText, type Day, dayOf } from "./Days.js"

export type DateField = "publish" | "modification"

/** `last_import_date`, `email_last_import_date`, `last_modification_date`, `email_last_modification_date`... */
export const checkpointKey = (field: DateField, watchlistType: Option.Option<WatchlistType>): string => {
  const name = field === "publish" ? "last_import_date" : "last_modification_date"
  return Option.match(watchlistType, { onNone: () => name, onSome: (type) => `${type}_${name}` })
}

/**
 * The day a checkpoint names. Absent (or null) is none; a value that is not an ISO date is an error,
 * never silently replaced by the start date (that would re-import everything or skip data).
 */
export const readCheckpoint = (state: StateData, key: string): Either.Either<Option.Option<Day>, string> => {
  const value = state[key]
  if (value === undefined || value === null) return Either.right(Option.none())
  if (typeof value === "string") {
    const instant = parseIsoInstant(value)
    if (instant) return Either.right(Option.some(dayOf(instant.getTime())))
  }
  return Either.left(
    `state key "${key}" holds ${JSON.stringify(value)}, which is not an ISO-8601 date; fix it (e.g. ` +
      `"2024-01-01T00:00:00+00:00") or reset the connector's state`
  )
}

export const withCheckpoint = (state: StateData, key: string, day: Day): StateData => ({
  ...state,
  [key]: checkpointText(day)
})
