/**
 * The service checks `check` runs after validating the configuration. Each probe is one cheap call that
 * says whether the connector could work with the service as configured; a failure carries the typed
 * error's message, which tells the operator what to do.
 */
import { Console, Effect, Either } from "effect"

export interface ProbeOutcome {
  readonly service: string
  readonly ok: boolean
  readonly detail: string
}

/** Runs a probe, turning its failure (expected error or defect) into a reported outcome. */
export const probe = <E extends { readonly message: string }, R>(
  service: string,
  effect: Effect.Effect<string, E, R>
): Effect.Effect<ProbeOutcome, never, R> =>
  Effect.either(effect).pipe(
    Effect.map(Either.match({
      onLeft: (error): ProbeOutcome => ({ service, ok: false, detail: error.message }),
      onRight: (detail): ProbeOutcome => ({ service, ok: true, detail })
    })),
    Effect.catchAllDefect((defect) =>
      Effect.succeed<ProbeOutcome>({ service, ok: false, detail: `unexpected failure: ${String(defect)}` })
    )
  )

export const printOutcomes = (outcomes: ReadonlyArray<ProbeOutcome>) =>
  Console.log(
    "\nServices:\n" +
      outcomes.map((outcome) =>
        `  ${outcome.service.padEnd(9)} ${outcome.ok ? "OK     " : "FAILED "} ${outcome.detail}`
      ).join("\n")
  )
