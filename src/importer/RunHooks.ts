/**
 * What the scheduler asks of the platform around passes (docs/opencti-protocol.md, "Scheduler"): whether a
 * scheduled pass may run (the push queue under CONNECTOR_QUEUE_THRESHOLD), recording when passes ran and will run
 * (connector_info), and the final ping of a run-and-terminate run. Offline, passes always run.
 */
import { Context, type DateTime, Effect, Layer, type Option } from "effect"

export interface RunHooksShape {
  /** False skips a scheduled pass (the platform's queue is over the threshold). */
  readonly mayRun: Effect.Effect<boolean>
  /** After a pass ran (or was skipped): when it ended and when the next one is due (none: no next). */
  readonly passEnded: (ran: boolean, next: Option.Option<DateTime.Utc>) => Effect.Effect<void>
  /** The last thing a run-and-terminate run does: send the final state and connector_info. */
  readonly terminate: Effect.Effect<void>
}

export class RunHooks extends Context.Tag("connector/RunHooks")<RunHooks, RunHooksShape>() {}

export const offlineLayer = Layer.succeed(
  RunHooks,
  RunHooks.of({ mayRun: Effect.succeed(true), passEnded: () => Effect.void, terminate: Effect.void })
)
