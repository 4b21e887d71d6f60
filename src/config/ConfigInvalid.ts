import { Data } from "effect"
import { truncateText } from "../lib/ValuePreview.js"
import { redactCredentials } from "../stix/SecretText.js"

/** One thing wrong with the configuration: the variable(s) concerned and what is expected. */
export interface ConfigProblem {
  /** e.g. `CONNECTOR_DURATION_PERIOD (connector.duration_period)` */
  readonly subject: string
  readonly message: string
}

/**
 * A problem's message quotes the value given (`"PT5X" is not a duration`), which helps; but not its
 * credentials (a URL's password, a `?token=`), not beyond a line, and not its control characters.
 */
const shownMessage = (message: string): string =>
  truncateText(redactCredentials(message), 300).replace(
    /[\u0000-\u001f\u007f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

/** The configuration cannot be used. Lists every problem at once; never contains a secret value. */
export class ConfigInvalid extends Data.TaggedError("ConfigInvalid")<{
  readonly problems: ReadonlyArray<ConfigProblem>
}> {
  override get message(): string {
    const count = this.problems.length
    const lines = this.problems.map((problem) => `  - ${problem.subject}: ${shownMessage(problem.message)}`)
    return [`Invalid configuration (${count} problem${count === 1 ? "" : "s"}):`, ...lines].join("\n")
  }
}
