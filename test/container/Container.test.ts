import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { containerProblems, dockerfileInstructions, healthCheckCommand } from "../../scripts/check-container.js"
import { HEARTBEAT_FILE } from "../../src/telemetry/Heartbeat.js"
import { REPO_ROOT } from "../support/Shared.js"

/** A copy of the container files, to break them on purpose. */
const copyOfRepository = () => {
  const root = mkdtempSync(join(tmpdir(), "container-"))
  for (
    const file of [
      "Dockerfile",
      ".dockerignore",
      "docker-compose.yml",
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "src"
    ]
  ) {
    cpSync(join(REPO_ROOT, file), join(root, file), { recursive: true })
  }
  return root
}

describe("container files", () => {
  it("reference files, scripts and commands that exist, and run node as a non-root PID 1", () => {
    expect(containerProblems()).toEqual([])
  })

  it("the check catches what would break the image", () => {
    const root = copyOfRepository()
    const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8")
    writeFileSync(
      join(root, "Dockerfile"),
      dockerfile.replace("COPY src ./src", "COPY source ./src").replace("USER 1000:1000", "USER root").replace(
        /^ENTRYPOINT .*$/m,
        "ENTRYPOINT [\"npx\", \"tsx\", \"src/main.ts\"]"
      ).replace("FROM ${NODE_IMAGE}\n", "FROM node:20-alpine\n").replace(
        /ARG NODE_IMAGE=\S+/,
        "ARG NODE_IMAGE=node:20-bookworm-slim"
      )
    )
    writeFileSync(
      join(root, "docker-compose.yml"),
      readFileSync(join(root, "docker-compose.yml"), "utf8").replace("- OPENCTI_URL=", "- OPENCTI_URI=").replace(
        "read_only: true",
        "read_only: false"
      ).replace("- ALL", "- NET_ADMIN")
    )
    const problems = containerProblems(root).join("\n")
    expect(problems).toContain("COPY source: no such file")
    expect(problems).toContain("non-root USER")
    expect(problems).toContain("ENTRYPOINT should be")
    expect(problems).toContain("FROM node:20-alpine: expected FROM ${NODE_IMAGE}")
    expect(problems).toContain("ARG NODE_IMAGE=node:20-bookworm-slim: expected a pinned Node 22 or 24 LTS")
    expect(problems).toContain("OPENCTI_URI is not a setting")
    expect(problems).toContain("set read_only: true")
    expect(problems).toContain("set cap_drop: [ALL]")
  })

  it("the HEALTHCHECK passes on a fresh heartbeat and fails on a stale or missing one", () => {
    const command = healthCheckCommand()
    expect(command[0]).toBe("node")
    // In the image, the runtime's temporary directory is /tmp.
    const inImage = `/tmp/${basename(HEARTBEAT_FILE)}`
    expect(command.join(" ")).toContain(inImage)
    const file = join(mkdtempSync(join(tmpdir(), "heartbeat-")), "alive")
    const run = () => spawnSync(process.execPath, command.slice(1).map((part) => part.replace(inImage, file))).status
    expect(run()).toBe(1)
    writeFileSync(file, "now\n")
    expect(run()).toBe(0)
    const old = (Date.now() - 10 * 60_000) / 1000
    utimesSync(file, old, old)
    expect(run()).toBe(1)
  })

  it("the final stage runs the built binary's run command", () => {
    const final = dockerfileInstructions(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8")).filter((i) =>
      i.stage === 1
    )
    expect(final.find((i) => i.keyword === "CMD")?.argument).toBe("[\"run\"]")
    const help = execFileSync(process.execPath, [join(REPO_ROOT, "dist/main.js"), "run", "--help"], {
      encoding: "utf8"
    })
    expect(help).toContain("Run the connector")
  })
})
