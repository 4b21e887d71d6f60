/**
 * Calendar days in UTC, as integers (days since 1970-01-01). SpyCloud stamps `spycloud_publish_date` at
 * midnight UTC, so the import windows and checkpoints are whole days.
 */
const DAY_MS = 86_400_000

export type Day = number

export const dayOf = (epochMillis: number): Day => Math.floor(epochMillis / DAY_MS)

export const startOfDay = (day: Day): number => day * DAY_MS

/** `YYYY-MM-DD`, the date form SpyCloud's `since`/`until` accept. */
export const dayText = (day: Day): string => new Date(startOfDay(day)).toISOString().slice(0, 10)

/** `YYYY-MM-DDTHH:MM:SSZ`, the date-time form SpyCloud's `since`/`until` accept. */
export const instantText = (epochMillis: number): string =>
  new Date(epochMillis).toISOString().replace(/\.\d{3}Z$/, "Z")

/**
 * A checkpoint as the official connector stores it: Python's `datetime.isoformat()` of an aware UTC
 * midnight, e.g. `2024-12-04T00:00:00+00:00`, so that either connector can continue from the other's state.
 */
export const checkpointText = (day: Day): string => `${dayText(day)}T00:00:00+00:00`
