import { spawn } from "node:child_process"
import { once } from "node:events"
import { resolve } from "node:path"
import { createInterface } from "node:readline"
import { describe, expect, it } from "vitest"
import { REPO_ROOT } from "../support/Shared.js"

const SCRIPT = resolve(REPO_ROOT, "scripts/spycloud-standin.ts")

const start = (args: ReadonlyArray<string>) =>
  spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] })

describe("scripts/spycloud-standin.ts", () => {
  it("prints its address and key as one JSON line, serves, and stops cleanly on SIGTERM", async () => {
    const child = start(["--records", "2500", "--days", "5", "--end-date", "2024-02-05", "--fault-sequence", "503,ok"])
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string]
      const info = JSON.parse(line) as { baseUrl: string; apiKey: string; records: number; startDate: string }
      expect(info).toMatchObject({ records: 2500, startDate: "2024-02-01", endDate: "2024-02-05" })
      expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/enterprise-v2\/$/)
      const get = () =>
        fetch(`${info.baseUrl}breach/data/watchlist?since=2024-01-01`, { headers: { "x-api-key": info.apiKey } })
      expect((await get()).status).toBe(503)
      const page = (await (await get()).json()) as { hits: number; results: Array<unknown> }
      expect(page.hits).toBe(2500)
      expect(page.results).toHaveLength(1000)
      child.kill("SIGTERM")
      const [code] = (await once(child, "exit")) as [number | null]
      expect(code).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  })

  it("rejects a bad option with exit code 2 and the usage", async () => {
    const child = start(["--records", "many"])
    let stderr = ""
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const [code] = (await once(child, "exit")) as [number | null]
    expect(code).toBe(2)
    expect(stderr).toContain("--records must be a non-negative integer")
    expect(stderr).toContain("Usage:")
  })
})
