/**
 * OpenCTI works: one per pass, shown in the platform's UI. Offline there is no work (`start` gives none).
 */
import { Context, Data, type Effect, type Option } from "effect"

export class WorkError extends Data.TaggedError("WorkError")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `OpenCTI work: ${this.reason}`
  }
}

export interface WorkTrackerShape {
  /** Opens a work for a pass; none when there is no platform (offline or CONNECTOR_SEND_TO_QUEUE=false). */
  readonly start: (friendlyName: string) => Effect.Effect<Option.Option<string>, WorkError>
  /** Closes the work with a summary; `inError` marks a failed pass. Failures are logged, not raised. */
  readonly finish: (workId: Option.Option<string>, message: string, inError: boolean) => Effect.Effect<void>
}

export class WorkTracker extends Context.Tag("connector/WorkTracker")<WorkTracker, WorkTrackerShape>() {}
