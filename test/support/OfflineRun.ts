/**
 * Runs the built binary offline (docs/opencti-protocol.md, "Offline mode") against a SpyCloud stand-in:
 * bundles into a temporary directory, state in a file there. The helpers that read back what it wrote are in `OfflineOutput.ts`.
 */
import { afterEach } from "vitest"
import { type SpycloudStandIn, type StandInOptions, startSpycloudStandIn } from "./spycloud/SpycloudStandIn.js"

export * from "./OfflineOutput.js"

/** Starts SpyCloud stand-ins that are stopped after each test of the calling file. */
export const standInsForEachTest = () => {
  const started: Array<SpycloudStandIn> = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((standIn) => standIn.stop()))
  })
  return async (options: StandInOptions) => {
    const standIn = await startSpycloudStandIn(options)
    started.push(standIn)
    return standIn
  }
}
