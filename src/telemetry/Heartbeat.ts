/**
 * Liveness for container health checks: while `run` is alive, a fiber rewrites a small file every 30 s.
 * The image's HEALTHCHECK fails when the file is older than 2 minutes, which catches a blocked event loop
 * or a wedged runtime (a crashed process is restarted by Docker anyway). Passes may take hours, so the
 * heartbeat does not depend on them: their progress is visible in the logs and in OpenCTI's works.
 */
import { Effect, Layer, Schedule } from "effect"
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const HEARTBEAT_FILE = join(tmpdir(), "spycloud-connector.alive")
export const HEARTBEAT_INTERVAL = "30 seconds"

export const beat = (path: string) =>
  Effect.try(() => writeFileSync(path, `${new Date().toISOString()}\n`)).pipe(
    Effect.catchAll((error) => Effect.logWarning("Cannot write the heartbeat file", { path, error: String(error) }))
  )

export const layer = (path = HEARTBEAT_FILE): Layer.Layer<never> =>
  Layer.scopedDiscard(Effect.forkScoped(Effect.repeat(beat(path), Schedule.spaced(HEARTBEAT_INTERVAL))))
