#!/usr/bin/env -S node --max-semi-space-size=8
/** The edge: the only place that reads the process environment and runs effects. */
import { CliConfig, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { createRequire } from "node:module"
import { makeCli } from "./cli/Cli.js"
import { ExitCode, isCommandFailed } from "./cli/CommandFailed.js"
import { limitHeapGrowth } from "./lib/HeapGrowth.js"
import { scrubProcessOutput } from "./lib/SecretScrubber.js"

limitHeapGrowth(process.execArgv, process.env.NODE_OPTIONS)
// Before anything can print: no secret the connector learns reaches stdout or stderr by any path.
scrubProcessOutput()

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return ExitCode.ok
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    if (isCommandFailed(failure.value)) return failure.value.exitCode
    if (ValidationError.isValidationError(failure.value)) return ExitCode.config
  }
  return ExitCode.failure
}

makeCli({ env: process.env, version })(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      // Report defects (bugs) that escaped every handler; expected failures were printed by their command.
      if (
        Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) && Option.isNone(Cause.failureOption(exit.cause))
      ) {
        process.stderr.write(Cause.pretty(exit.cause) + "\n")
      }
      onExit(exitCodeOf(exit))
    }
  })
)
