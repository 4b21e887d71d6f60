import { describe, expect, it } from "vitest"
import { runMeasured } from "../../scripts/bench/MeasuredProcess.js"

const node = (script: string, options: Partial<Parameters<typeof runMeasured>[2]> = {}) =>
  runMeasured(process.execPath, ["-e", script], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? "" },
    ...options
  })

describe("runMeasured", () => {
  it("reports the exit, the output, the CPU time and a peak RSS that covers what the process held", async () => {
    const result = await node(
      "const kept = Buffer.alloc(80e6, 1); let x = 0; for (let i = 0; i < 3e7; i++) x += i; console.log('done', kept.length + x > 0)"
    )
    expect(result).toMatchObject({ code: 0, timedOut: false, lingered: false })
    expect(result.stdout).toBe("done true\n")
    if (process.platform === "linux") {
      expect(result.peakRssMb).toBeGreaterThan(80)
      expect(result.cpuSeconds).toBeGreaterThan(0)
    }
    expect(result.wallSeconds).toBeGreaterThan(0)
  })

  it("stops a process that keeps running after saying it is done, and times it up to that moment", async () => {
    const result = await node("console.log('finished'); setInterval(() => {}, 1000)", {
      finished: (stdout) => stdout.includes("finished"),
      lingerMs: 300
    })
    expect(result.lingered).toBe(true)
    expect(result.signal ?? result.code).not.toBe(0)
    expect(result.wallSeconds).toBeLessThan(5)
  })
})
