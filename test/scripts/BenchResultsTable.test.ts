import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { type BenchRow, renderTable, type TableContext, updateReadme } from "../../scripts/bench/ResultsTable.js"

const CONTEXT: TableContext = {
  date: "2025-06-30",
  commit: "abc1234",
  node: "v20.20.2",
  cpu: "Test CPU",
  cores: 2,
  command: "npm run bench",
  method: "GNU time",
  recordsPerDay: 500,
  bundleMaxObjects: "10000",
  windowMaxRecords: "10000"
}

const row = (overrides: Partial<BenchRow>): BenchRow => ({
  sink: "directory",
  records: 100_000,
  read: 107_000,
  objects: 1_000_000,
  wallSeconds: 8,
  cpuSeconds: 9.25,
  peakRssMb: 298.4,
  firstBundleSeconds: 1.64,
  load: [1.2, 2.04],
  ...overrides
})

const tableLines = (markdown: string) => markdown.split("\n").filter((line) => line.startsWith("|"))

describe("bench results table", () => {
  it("derives the rates from the counts and the wall time", () => {
    const [, , line] = tableLines(renderTable([row({})], CONTEXT))
    expect(line).toBe(
      "| directory | 100,000 | 107,000 | 8.0 s | 12,500 | 125,000 | 298 MB | 9.3 s | 1.6 s | 1.2 → 2.0 |"
    )
  })

  it("gives a failed run its reason instead of numbers, and marks runs stopped after their summary", () => {
    const lines = tableLines(
      renderTable([
        row({ sink: "rabbitmq", problem: "exit 1: cannot | reach\nRabbitMQ", wallSeconds: undefined }),
        row({ sink: "rabbitmq", lingered: true })
      ], CONTEXT)
    )
    expect(lines[2]).toContain("| RabbitMQ (confirms) | 100,000 | — | — | — |")
    expect(lines[3]).toBe("| | *exit 1: cannot \\| reach RabbitMQ* | | | | | | | | |")
    expect(lines[4]).toMatch(/^\| RabbitMQ \(confirms\) † \| 100,000 \|/)
  })
})

describe("updateReadme", () => {
  let directory: string | undefined
  afterEach(() => {
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true })
  })

  it("adds the section with a heading once, then replaces only what is between the markers", () => {
    directory = mkdtempSync(join(tmpdir(), "bench-readme-"))
    const readme = join(directory, "README.md")
    writeFileSync(readme, "# Title\n\nText.\n")
    updateReadme(readme, "first table")
    const added = readFileSync(readme, "utf8")
    expect(added).toMatch(/^# Title\n\nText\.\n\n## Benchmark\n/)
    expect(added).toContain("<!-- bench:start -->\nfirst table\n<!-- bench:end -->\n")

    writeFileSync(readme, added + "\n## After\n")
    updateReadme(readme, "second table")
    const replaced = readFileSync(readme, "utf8")
    expect(replaced).toBe(added.replace("first table", "second table") + "\n## After\n")
    expect(replaced.match(/## Benchmark/g)).toHaveLength(1)
  })
})
