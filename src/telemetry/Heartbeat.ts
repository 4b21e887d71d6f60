/**
 * Liveness for container health checks: while `run` is alive, a fiber rewrites a small file every 30 s.
 * The image's HEALTHCHECK fails when the file is older than 2 minutes, which catches a blocked event loop
 * or a wedged runtime (a crashed process is restarted by Docker anyway). Passes may take hours, so the
 * heartbeat does not depend on them: their progress is visible in the logs and in OpenCTI's works.
 */
import { Effect, Layer, Schedule } from "effect"
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const HEARTBEAT_FILE = join(tmpdir(), "spycloud-connector.alive")
export const HEARTBEAT_INTERVAL = "30 seconds"

/** Create-only, never through a symbolic link (`O_EXCL` does not follow one, `O_NOFOLLOW` says so twice). */
const EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)

const openExclusively = (path: string): number => {
  try {
    return openSync(path, EXCLUSIVE, 0o600)
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EEXIST") throw error
    // A leftover of a crash, or a link someone planted: removed (the link, not its target), then once more.
    unlinkSync(path)
    return openSync(path, EXCLUSIVE, 0o600)
  }
}

/**
 * `TMPDIR` is shared with other users: the file is written to a fresh temporary name and renamed over
 * `path`, which replaces a symbolic link planted there instead of writing through it.
 */
const writeHeartbeat = (path: string) => {
  const temporary = `${path}.${process.pid}.tmp`
  const fd = openExclusively(temporary)
  try {
    writeSync(fd, `${new Date().toISOString()}\n`)
  } finally {
    closeSync(fd)
  }
  renameSync(temporary, path)
}

export const beat = (path: string) =>
  Effect.try(() => writeHeartbeat(path)).pipe(
    Effect.catchAll((error) => Effect.logWarning("Cannot write the heartbeat file", { path, error: String(error) }))
  )

export const layer = (path = HEARTBEAT_FILE): Layer.Layer<never> =>
  Layer.scopedDiscard(Effect.forkScoped(Effect.repeat(beat(path), Schedule.spaced(HEARTBEAT_INTERVAL))))
