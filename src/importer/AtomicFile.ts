/**
 * Writes a file so that readers only ever see the old or the new content, and the new content is on disk
 * before the call returns: write `<path>.tmp`, fsync it, rename it over `path`.
 *
 * Bundles and state hold personal data: files are created 0600 (less if the umask says so). The temporary
 * file is created exclusively (`O_CREAT|O_EXCL`), which never follows a symbolic link planted at its name;
 * a leftover (a crash, or such a link) is removed, not followed, and creation is tried once more. The
 * rename replaces whatever is at `path`, a link included, rather than writing through it.
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import { Effect } from "effect"

/** Owner read and write only. */
export const PRIVATE_FILE_MODE = 0o600
/** Owner only, for the folders the connector creates. */
export const PRIVATE_DIRECTORY_MODE = 0o700

const openExclusively = (fs: FileSystem.FileSystem, path: string) =>
  fs.open(path, { flag: "wx", mode: PRIVATE_FILE_MODE }).pipe(
    Effect.catchIf(
      (error) => error._tag === "SystemError" && error.reason === "AlreadyExists",
      () => Effect.zipRight(fs.remove(path), fs.open(path, { flag: "wx", mode: PRIVATE_FILE_MODE }))
    )
  )

export const writeFileAtomically = (
  fs: FileSystem.FileSystem,
  path: string,
  content: string
): Effect.Effect<void, PlatformError> =>
  Effect.gen(function*() {
    const temporary = `${path}.tmp`
    yield* Effect.scoped(
      Effect.gen(function*() {
        const file = yield* openExclusively(fs, temporary)
        // Buffer.from, not TextEncoder: on Node 20 TextEncoder took ~16 % of the directory sink's CPU in a
        // profile of the binary; Buffer.from does the same UTF-8 encoding in well under half the time.
        yield* file.writeAll(Buffer.from(content, "utf8"))
        yield* file.sync
      })
    ).pipe(Effect.onError(() => fs.remove(temporary).pipe(Effect.ignore)))
    yield* fs.rename(temporary, path)
  }).pipe(Effect.uninterruptible)
