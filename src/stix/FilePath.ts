/**
 * Splits `infected_path` into a file name and its folder. Infostealer paths are Windows paths; the official
 * connector parses them with POSIX rules, so every one becomes a file named by the whole path in the directory `.`
 * (docs/spycloud-api.md, "Defects of the official connector that we fix": Windows paths parsed as POSIX paths).
 * Here a path that starts with a drive (`C:`), starts with `\`, or holds a `\` is read with Windows rules (like
 * Python's `PureWindowsPath`: `\` and `/` separate, a drive or UNC share prefix is kept, the folder is written
 * with `\`), any other with POSIX rules (like `PurePosixPath`). Empty and `.` segments are dropped; `..` is kept,
 * as the path was observed.
 */

export interface SplitPath {
  /** The base name; never empty. */
  readonly name: string
  /** The containing folder, or undefined when the path has none (`a.exe`, `C:a.exe`). */
  readonly directory: string | undefined
}

const DRIVE = /^[A-Za-z]:/
const UNC_SHARE = /^[\\/]{2}([^\\/]+)[\\/]+([^\\/]+)/

export const isWindowsPath = (path: string): boolean => DRIVE.test(path) || path.startsWith("\\") || path.includes("\\")

const segmentsOf = (path: string, separator: RegExp): Array<string> =>
  path.split(separator).filter((segment) => segment !== "" && segment !== ".")

const splitWindows = (path: string): SplitPath | undefined => {
  let anchor: string
  let rest: string
  const unc = UNC_SHARE.exec(path)
  if (unc !== null) {
    anchor = `\\\\${unc[1]}\\${unc[2]}\\`
    rest = path.slice(unc[0].length)
  } else {
    const drive = DRIVE.test(path) ? path.slice(0, 2) : ""
    const afterDrive = path.slice(drive.length)
    const root = /^[\\/]/.test(afterDrive) ? "\\" : ""
    anchor = drive + root
    rest = afterDrive
  }
  const segments = segmentsOf(rest, /[\\/]+/)
  const name = segments.pop()
  if (name === undefined) return undefined
  // A bare drive (`C:` of `C:a.exe`) is relative to an unknown folder: no directory.
  const hasFolder = segments.length > 0 || anchor.endsWith("\\")
  return { name, directory: hasFolder ? anchor + segments.join("\\") : undefined }
}

const splitPosix = (path: string): SplitPath | undefined => {
  // POSIX keeps exactly two leading slashes; one, or three and more, mean the root.
  const root = /^\/\/(?!\/)/.test(path) ? "//" : path.startsWith("/") ? "/" : ""
  const segments = segmentsOf(path, /\/+/)
  const name = segments.pop()
  if (name === undefined) return undefined
  const hasFolder = segments.length > 0 || root !== ""
  return { name, directory: hasFolder ? root + segments.join("/") : undefined }
}

/** The file name and folder of a path, or undefined when it names no file (`/`, `C:\`, `.`). */
export const splitPath = (path: string): SplitPath | undefined =>
  isWindowsPath(path) ? splitWindows(path) : splitPosix(path)
