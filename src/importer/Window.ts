/**
 * An import window: a range of whole days (or, for the newest one, up to now − lag), for one date field,
 * watchlist type and set of severities, and the SpyCloud query that reads it.
 */
import { Option } from "effect"
import type { WatchlistType } from "../config/Settings.js"
import type { BreachQuery } from "../spycloud/SpycloudClient.js"
import type { DateField } from "./Checkpoints.js"
import { type Day, dayText, instantText } from "./Days.js"

export interface WindowSpec {
  readonly field: DateField
  readonly watchlistType: Option.Option<WatchlistType>
  /** Days covered, both inclusive. */
  readonly first: Day
  readonly last: Day
  /** The newest window ends at now − lag (a date-time) instead of a day boundary. */
  readonly until: Option.Option<number>
  readonly severity: ReadonlyArray<number>
  /** Whether a first page with too many hits should abandon the window so it can be split. */
  readonly splittable: boolean
}

/** e.g. `published 2024-01-01..2024-01-31 email severity 20,25`, for logs and failure reasons. */
export const describeWindow = (spec: WindowSpec) => {
  const days = spec.first === spec.last ? dayText(spec.first) : `${dayText(spec.first)}..${dayText(spec.last)}`
  const type = Option.match(spec.watchlistType, { onNone: () => "", onSome: (t) => ` ${t}` })
  // The query for every undocumented code lists about a hundred of them: name the range instead.
  const severity = spec.severity.length === 0
    ? ""
    : spec.severity.length > 8
    ? ` severity ${spec.severity.length} codes from ${Math.min(...spec.severity)} to ${Math.max(...spec.severity)}`
    : ` severity ${spec.severity.join(",")}`
  return `${spec.field === "publish" ? "published" : "modified"} ${days}${type}${severity}`
}

/**
 * A window's query. SpyCloud does not document whether `until` is inclusive, and publish dates are
 * midnight-stamped, so a window ends at 23:59:59 of its last day: that covers the day either way and never
 * reaches the next one, so consecutive windows neither miss nor repeat a day.
 */
export const toQuery = (spec: WindowSpec): BreachQuery => ({
  dateField: spec.field,
  since: dayText(spec.first),
  until: Option.some(
    Option.match(spec.until, { onNone: () => `${dayText(spec.last)}T23:59:59Z`, onSome: instantText })
  ),
  severity: spec.severity,
  watchlistType: spec.watchlistType
})
