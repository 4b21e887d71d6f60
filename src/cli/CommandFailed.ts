import { Data, Predicate } from "effect"

/** Exit codes of the binary. */
export const ExitCode = { ok: 0, failure: 1, config: 2 } as const

/**
 * A command ended badly; its message was already printed. Carries the process exit code so that the
 * edge (`main.ts`) can exit with it.
 */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly exitCode: number
  readonly reason: string
}> {}

export const isCommandFailed = (error: unknown): error is CommandFailed => Predicate.isTagged(error, "CommandFailed")
