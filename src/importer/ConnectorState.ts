/**
 * The connector's state: one JSON object, stored in OpenCTI (sent with pings) or, offline, in a file.
 * Keys are compatible with the official connector (`last_import_date`, `<type>_last_import_date`).
 */
import { Context, Data, type Effect, type Option } from "effect"

export type StateData = Readonly<Record<string, unknown>>

export class StateError extends Data.TaggedError("StateError")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `connector state: ${this.reason}`
  }
}

export interface ConnectorStateShape {
  /** The current state, or none when the connector never ran (or its state was reset). */
  readonly get: Effect.Effect<Option.Option<StateData>, StateError>
  /** Stores the state durably (file renamed into place, or pinged to OpenCTI) before returning. */
  readonly set: (state: StateData) => Effect.Effect<void, StateError>
}

export class ConnectorState extends Context.Tag("connector/ConnectorState")<ConnectorState, ConnectorStateShape>() {}
