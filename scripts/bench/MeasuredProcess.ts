/**
 * Runs a command to completion and measures it from the outside: wall time, CPU time (user + system) and
 * peak resident set size. GNU time (`/usr/bin/time`) reports the exact figures from the kernel when it is
 * installed; otherwise `/proc/<pid>` is polled (Linux), and elsewhere only the wall time is known.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Measurement {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly wallSeconds: number
  /** User + system CPU seconds of the process; undefined when it cannot be measured here. */
  readonly cpuSeconds: number | undefined
  /** Peak resident set size in MB (10^6 bytes); undefined when it cannot be measured here. */
  readonly peakRssMb: number | undefined
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
  /**
   * The process had reported that it was done (`finished`) but was still running `lingerMs` later, and was
   * stopped with SIGTERM; `wallSeconds` then ends when it reported.
   */
  readonly lingered: boolean
}

export interface MeasuredOptions {
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  /** The process is killed after this long (default 30 minutes). */
  readonly timeoutMs?: number
  /** Called right after the process was started, with `performance.now()` at that moment. */
  readonly onStart?: (startedAt: number) => void
  /** Whether the output so far says that the work is done (checked on every stdout chunk). */
  readonly finished?: (stdout: string) => boolean
  /** How long a process may keep running after `finished` holds (default 10 s). */
  readonly lingerMs?: number
}

const GNU_TIME = "/usr/bin/time"
const CLOCK_TICKS_PER_SECOND = 100
/** Enough of the logs to explain a failure; the rest is dropped so a long run's output cannot pile up. */
const MAX_STDERR_CHARS = 200_000

const hasGnuTime = (): boolean => existsSync(GNU_TIME)

/** Processes started here and still running, so that an interrupted benchmark leaves none behind. */
const running = new Set<ChildProcess>()

/** Kills every measured process still running (and, under GNU time, the measured process itself). */
export const killRunning = (): void => {
  for (const child of running) {
    const pid = measuredPid(child, hasGnuTime())
    if (pid !== undefined && pid !== child.pid) process.kill(pid, "SIGKILL")
    child.kill("SIGKILL")
  }
}

/** The measured process itself: GNU time's child when it runs under GNU time (which must live on to report). */
const measuredPid = (child: ChildProcess, underGnuTime: boolean): number | undefined => {
  if (!underGnuTime || child.pid === undefined) return child.pid
  try {
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(" ")
    return children[0] === undefined || children[0] === "" ? child.pid : Number(children[0])
  } catch {
    return child.pid
  }
}

/** `VmHWM` (the kernel's peak RSS) and the CPU ticks of a live process, or undefined once it is gone. */
const procSample = (pid: number): { peakKb: number; cpuTicks: number } | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const peak = /^VmHWM:\s+(\d+) kB/m.exec(status)
    // Fields after the command name (which may hold spaces) start after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { peakKb: Number(peak?.[1] ?? 0), cpuTicks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

export const runMeasured = (
  command: string,
  args: ReadonlyArray<string>,
  options: MeasuredOptions
): Promise<Measurement> => {
  const gnuTime = hasGnuTime()
  const scratch = gnuTime ? mkdtempSync(join(tmpdir(), "bench-time-")) : undefined
  const timeFile = scratch === undefined ? undefined : join(scratch, "time.txt")
  const [file, argv] = timeFile === undefined
    ? [command, args]
    : [GNU_TIME, ["-f", "%e %U %S %M", "-o", timeFile, command, ...args]]
  const startedAt = performance.now()
  const child: ChildProcess = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  child.once("close", () => running.delete(child))
  options.onStart?.(startedAt)
  let stdout = ""
  let stderr = ""
  let finishedAt: number | undefined
  let lingered = false
  let lingerTimer: NodeJS.Timeout | undefined
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    if (finishedAt !== undefined || options.finished?.(stdout) !== true) return
    finishedAt = performance.now()
    lingerTimer = setTimeout(() => {
      lingered = true
      const pid = measuredPid(child, gnuTime)
      if (pid !== undefined) process.kill(pid, "SIGTERM")
    }, options.lingerMs ?? 10_000)
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
    if (stderr.length > MAX_STDERR_CHARS * 2) stderr = stderr.slice(-MAX_STDERR_CHARS)
  })

  // Without GNU time, poll /proc: the last sample before the exit is the measurement.
  let last: { peakKb: number; cpuTicks: number } | undefined
  const poller = gnuTime || child.pid === undefined ? undefined : setInterval(() => {
    last = procSample(child.pid!) ?? last
  }, 50)

  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill("SIGKILL")
  }, options.timeoutMs ?? 30 * 60_000)

  return new Promise((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => {
      const wallSeconds = ((lingered ? finishedAt! : performance.now()) - startedAt) / 1000
      clearTimeout(timer)
      if (lingerTimer !== undefined) clearTimeout(lingerTimer)
      if (poller !== undefined) clearInterval(poller)
      let cpuSeconds: number | undefined
      let peakRssMb: number | undefined
      if (timeFile !== undefined) {
        // GNU time writes "Command exited with non-zero status N" first when the command fails.
        const line = (existsSync(timeFile) ? readFileSync(timeFile, "utf8") : "").trim().split("\n").pop() ?? ""
        const [, user, system, peakKb] = line.split(" ").map(Number)
        if (user !== undefined && system !== undefined && peakKb !== undefined && !Number.isNaN(peakKb)) {
          cpuSeconds = user + system
          peakRssMb = (peakKb * 1024) / 1e6
        }
        rmSync(scratch!, { recursive: true, force: true })
      } else if (last !== undefined) {
        cpuSeconds = last.cpuTicks / CLOCK_TICKS_PER_SECOND
        peakRssMb = (last.peakKb * 1024) / 1e6
      }
      resolve({ code, signal, wallSeconds, cpuSeconds, peakRssMb, stdout, stderr, timedOut, lingered })
    })
  })
}

/** How the measurement is taken on this machine, for the notes under the table. */
export const measurementMethod = (): string =>
  hasGnuTime()
    ? "peak RSS and CPU time from GNU time (kernel accounting of the connector process)"
    : existsSync("/proc/self/status")
    ? "peak RSS (VmHWM) and CPU time polled from /proc every 50 ms"
    : "wall time only (neither GNU time nor /proc on this system)"
