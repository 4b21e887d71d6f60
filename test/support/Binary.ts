/**
 * Runs the built binary (`dist/main.js`) the way a user does, with a controlled environment. `npm test`
 * builds first, so these tests exercise exactly what ships.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { CONNECTOR_NODE_OPTIONS } from "../../src/cli/NodeOptions.js"
import { REPO_ROOT } from "./SharedPaths.js"

export const BINARY = resolve(REPO_ROOT, "dist/main.js")

export interface BinaryResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface BinaryOptions {
  /** Environment of the process; only PATH and HOME are inherited. */
  readonly env?: Readonly<Record<string, string>>
  readonly cwd?: string
  /** Start the process under this umask (through `sh`, as an operator's shell would), e.g. 0o022. */
  readonly umask?: number
}

const assertBuilt = () => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} does not exist: run \`npm run build\` (npm test does)`)
}

const environment = (env: Readonly<Record<string, string>> = {}) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
  ...env
})

/** A running binary: its output so far, and a promise of its end. */
export interface RunningBinary {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly done: Promise<BinaryResult>
}

export const startBinary = (args: ReadonlyArray<string>, options: BinaryOptions = {}): RunningBinary => {
  assertBuilt()
  const command = options.umask === undefined
    ? [process.execPath, ...CONNECTOR_NODE_OPTIONS, BINARY, ...args]
    : [
      "/bin/sh",
      "-c",
      `umask ${options.umask.toString(8).padStart(3, "0")} && exec "$@"`,
      "sh",
      process.execPath,
      ...CONNECTOR_NODE_OPTIONS,
      BINARY,
      ...args
    ]
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd ?? REPO_ROOT,
    env: environment(options.env),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const done = new Promise<BinaryResult>((resolveDone, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => resolveDone({ code, signal, stdout, stderr }))
  })
  return { child, stdout: () => stdout, stderr: () => stderr, done }
}

/** Runs the binary to completion. */
export const runBinary = (args: ReadonlyArray<string>, options: BinaryOptions = {}): Promise<BinaryResult> =>
  startBinary(args, options).done

/** Resolves once `predicate` holds for the process's stderr (its logs), or rejects after `timeoutMs`. */
export const waitForOutput = async (
  running: RunningBinary,
  predicate: (stderr: string, stdout: string) => boolean,
  timeoutMs = 60_000
): Promise<void> => {
  const started = Date.now()
  while (!predicate(running.stderr(), running.stdout())) {
    if (running.child.exitCode !== null) {
      throw new Error(`process ended (${running.child.exitCode}) before the expected output:\n${running.stderr()}`)
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for output:\n${running.stderr()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
