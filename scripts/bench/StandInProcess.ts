/**
 * The SpyCloud stand-in as its own process (`scripts/spycloud-standin.ts`), so that generating and serving
 * the records does not share an event loop with the benchmark's own measurements.
 */
import { type ChildProcess, spawn } from "node:child_process"

export interface StandInInfo {
  readonly baseUrl: string
  readonly apiKey: string
  readonly records: number
  /** Oldest and newest publish dates, `YYYY-MM-DD`. */
  readonly startDate: string
  readonly endDate: string
}

export interface StandInProcess {
  readonly info: StandInInfo
  readonly stop: () => Promise<void>
}

export const startStandInProcess = (
  root: string,
  options: { readonly records: number; readonly days: number; readonly endDate: string }
): Promise<StandInProcess> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [
      "--import",
      "tsx",
      "scripts/spycloud-standin.ts",
      "--records",
      String(options.records),
      "--days",
      String(options.days),
      "--end-date",
      options.endDate
    ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let started = false
    const exited = new Promise<void>((done) => child.once("close", () => done()))
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      await exited
    }
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      const end = stdout.indexOf("\n")
      if (started || end < 0) return
      started = true
      try {
        resolve({ info: JSON.parse(stdout.slice(0, end)) as StandInInfo, stop })
      } catch (error) {
        void stop()
        reject(new Error(`the SpyCloud stand-in printed something unexpected: ${(error as Error).message}`))
      }
    })
    child.once("error", reject)
    child.once("close", (code) => {
      if (!started) reject(new Error(`the SpyCloud stand-in exited (${code}) before it started:\n${stderr}`))
    })
  })
