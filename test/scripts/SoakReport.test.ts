import { spawn } from "node:child_process"
import { once } from "node:events"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { type RoundResult, roundRow, succeeded, summaryLines, totals } from "../../scripts/soak/Report.js"
import { REPO_ROOT } from "../support/Shared.js"

const round = (overrides: Partial<RoundResult>): RoundResult => ({
  round: 1,
  seed: 1,
  expected: 990,
  delivered: 990,
  incidentMessages: 990,
  messages: 9_849,
  distinctObjects: 8_934,
  passes: 2,
  unfinishedPasses: 1,
  failedPasses: 0,
  kills: 1,
  brokerOutages: 1,
  recoveredInPass: 1,
  exits: 0,
  spycloudFaults: 6,
  status504: 0,
  completed: true,
  wallSeconds: 26.14,
  ...overrides
})

describe("soak report", () => {
  it("adds the rounds up; duplicates are incident messages beyond the first of each delivered id", () => {
    const summary = totals([
      round({}),
      round({
        round: 2,
        seed: 2,
        incidentMessages: 1_240,
        delivered: 990,
        passes: 4,
        unfinishedPasses: 2,
        failedPasses: 1,
        kills: 2
      }),
      round({ round: 3, seed: 3, expected: 500, delivered: 480, incidentMessages: 500, completed: false })
    ], 120.04)
    expect(summary).toMatchObject({
      rounds: 3,
      expected: 2_480,
      delivered: 2_460,
      incidentMessages: 2_730,
      duplicates: 270,
      passes: 8,
      unfinishedPasses: 4,
      failedPasses: 1,
      kills: 4,
      brokerOutages: 3,
      completedRounds: 2
    })
    expect(succeeded(summary)).toBe(false)
    expect(summaryLines(summary)).toEqual([
      "valid records delivered / expected: 2,460 / 2,480 (20 missing)",
      "duplicates: 270 of 2,730 incident messages (9.9 %) repeat an id already delivered (2,460 distinct): re-sends after a SIGKILL (the window since the last checkpoint is read again) or a RabbitMQ outage (the unconfirmed messages), upserts in OpenCTI",
      "passes needed: 8 in 3 rounds (4 cut short by a SIGKILL, 1 failed, each followed by a pass from the checkpoint); 0 exits of the connector on its own",
      "faults: 4 SIGKILLs of the connector, 3 RabbitMQ stop_app/start_app (3 sends recovered inside their pass), 18 faulty SpyCloud answers (0 of them 504)",
      "rounds completed: 2 / 3",
      "wall time: 120.0 s"
    ])
  })

  it("succeeds only when every round completed and every valid record arrived", () => {
    expect(succeeded(totals([round({}), round({ round: 2 })], 60))).toBe(true)
    expect(succeeded(totals([round({ completed: false })], 60))).toBe(false)
    expect(succeeded(totals([round({ delivered: 989, incidentMessages: 989 })], 60))).toBe(false)
    expect(succeeded(totals([], 0))).toBe(false)
  })

  it("prints one table row per round, marking an incomplete one", () => {
    expect(roundRow(round({ completed: false, incidentMessages: 1_000 }))).toBe(
      "| 1 (incomplete) | 1 | 990 / 990 | 1,000 | 10 | 9,849 (8,934) | 2 (1, 0) | 1 | 1 (1) | 0 | 6 (0) | 26.1 s |"
    )
  })
})

describe("npm run soak", () => {
  it.each([
    [["--rounds", "2", "--minutes", "1"], "give --rounds or --minutes, not both"],
    [["--records", "many"], "--records must be a non-negative integer"],
    [["--round", "2"], "Unknown option '--round'"],
    [["--rabbitmq-node", "rabbit@localhost"], "--rabbitmq-node and --rabbitmq-port go together"]
  ])("rejects %j before starting anything, with exit code 2 and the usage", async (args, message) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(REPO_ROOT, "scripts/soak.ts"), ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const [code] = (await once(child, "exit")) as [number | null]
    expect(code).toBe(2)
    expect(stderr).toContain(message)
    expect(stderr).toContain("Usage: npm run soak")
  })
})
