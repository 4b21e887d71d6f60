import { Data } from "effect"

/** One thing wrong with the configuration: the variable(s) concerned and what is expected. */
export interface ConfigProblem {
  /** e.g. `CONNECTOR_DURATION_PERIOD (connector.duration_period)` */
  readonly subject: string
  readonly message: string
}

/** The configuration cannot be used. Lists every problem at once; never contains a secret value. */
export class ConfigInvalid extends Data.TaggedError("ConfigInvalid")<{
  readonly problems: ReadonlyArray<ConfigProblem>
}> {
  override get message(): string {
    const count = this.problems.length
    const lines = this.problems.map((problem) => `  - ${problem.subject}: ${problem.message}`)
    return [`Invalid configuration (${count} problem${count === 1 ? "" : "s"}):`, ...lines].join("\n")
  }
}
