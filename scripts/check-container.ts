/**
 * What can be checked without a Docker engine, in a second: that the Dockerfile and docker-compose.yml
 * reference files, scripts and commands that exist, and that the image is built the way it must run (a
 * supported Node LTS named through the NODE_IMAGE build argument, production dependencies only, non-root,
 * node as the process receiving signals, a health check, a hardened compose service).
 * `npm run check:container`; the test suite runs it too. `npm run test:container` builds and runs the image.
 */
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as YAML from "yaml"
import { CONNECTOR_NODE_OPTIONS } from "../src/cli/NodeOptions.js"
import { SETTINGS } from "../src/config/Settings.js"

const ROOT = resolve(fileURLToPath(import.meta.url), "../..")

/** node:<22|24>.<minor>.<patch>-bookworm-slim, optionally with a digest: a supported LTS, pinned. */
export const SUPPORTED_BASE_IMAGE = /^node:(?:22|24)\.\d+\.\d+-bookworm-slim(?:@sha256:[0-9a-f]{64})?$/

export interface Instruction {
  readonly keyword: string
  readonly argument: string
  readonly stage: number
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), with their stage index. */
export const dockerfileInstructions = (text: string): Array<Instruction> => {
  const instructions: Array<Instruction> = []
  let stage = -1
  for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
    const trimmed = line.trim()
    if (trimmed === "" || trimmed.startsWith("#")) continue
    const [keyword, ...rest] = trimmed.split(/\s+/)
    const upper = keyword!.toUpperCase()
    if (upper === "FROM") stage++
    instructions.push({ keyword: upper, argument: rest.join(" "), stage })
  }
  return instructions
}

/** Every problem found; empty when the container files are consistent with the repository. */
export const containerProblems = (root = ROOT): Array<string> => {
  const problems: Array<string> = []
  const instructions = dockerfileInstructions(readFileSync(join(root, "Dockerfile"), "utf8"))
  const finalStage = Math.max(...instructions.map((i) => i.stage))
  const inFinal = instructions.filter((i) => i.stage === finalStage)
  const ignored = readFileSync(join(root, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter(Boolean)
  const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>
  }

  const froms = instructions.filter((i) => i.keyword === "FROM")
  if (froms.length < 2) problems.push("the Dockerfile should be multi-stage (build, then runtime)")
  for (const from of froms) {
    if (!/^\$\{NODE_IMAGE\}(\s|$)/.test(from.argument)) {
      problems.push(`FROM ${from.argument}: expected FROM \${NODE_IMAGE} (the base image is a build argument)`)
    }
  }
  const baseImage = instructions.find((i) =>
    i.stage === -1 && i.keyword === "ARG" && i.argument.startsWith("NODE_IMAGE=")
  )
    ?.argument.slice("NODE_IMAGE=".length)
  if (baseImage === undefined) {
    problems.push("the Dockerfile should declare ARG NODE_IMAGE=<image> before the first FROM")
  } else if (!SUPPORTED_BASE_IMAGE.test(baseImage)) {
    problems.push(`ARG NODE_IMAGE=${baseImage}: expected a pinned Node 22 or 24 LTS bookworm-slim image`)
  }
  for (const copy of instructions.filter((i) => i.keyword === "COPY" && !i.argument.startsWith("--from"))) {
    const sources = copy.argument.split(/\s+/).slice(0, -1)
    for (const source of sources) {
      if (!existsSync(join(root, source))) problems.push(`COPY ${source}: no such file in the repository`)
      if (ignored.some((pattern) => pattern === source || source.startsWith(`${pattern}/`))) {
        problems.push(`COPY ${source}: excluded by .dockerignore`)
      }
    }
  }
  for (const run of instructions.filter((i) => i.keyword === "RUN")) {
    for (const [, script] of run.argument.matchAll(/npm run (\S+)/g)) {
      if (packageJson.scripts[script!] === undefined) problems.push(`RUN npm run ${script}: no such npm script`)
    }
  }
  if (!inFinal.some((i) => i.keyword === "RUN" && /npm ci\b.*--omit=dev/.test(i.argument))) {
    problems.push("the final stage should install with npm ci --omit=dev")
  }
  if (!inFinal.some((i) => i.keyword === "USER" && i.argument !== "root" && i.argument !== "0")) {
    problems.push("the final stage should run as a non-root USER")
  }
  const entrypoint = inFinal.find((i) => i.keyword === "ENTRYPOINT")?.argument
  const expected = JSON.stringify(["node", ...CONNECTOR_NODE_OPTIONS, "dist/main.js"]).replace(/","/g, "\", \"")
  if (entrypoint !== expected) {
    problems.push(`ENTRYPOINT should be ${expected} (node as the process that gets SIGTERM), not ${entrypoint}`)
  }
  if (inFinal.find((i) => i.keyword === "CMD")?.argument !== "[\"run\"]") problems.push("CMD should be [\"run\"]")
  const tsconfig = JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")) as {
    compilerOptions: { outDir: string; rootDir: string }
  }
  if (
    tsconfig.compilerOptions.outDir !== "dist" || !existsSync(join(root, tsconfig.compilerOptions.rootDir, "main.ts"))
  ) {
    problems.push("npm run build must compile src/main.ts to dist/main.js, the ENTRYPOINT")
  }
  if (!/tsconfig\.build\.json/.test(packageJson.scripts.build ?? "")) {
    problems.push("npm run build should use tsconfig.build.json")
  }
  if (!inFinal.some((i) => i.keyword === "HEALTHCHECK")) problems.push("the image should declare a HEALTHCHECK")

  const compose = YAML.parse(readFileSync(join(root, "docker-compose.yml"), "utf8")) as {
    services: Record<string, {
      build?: string
      image?: string
      init?: boolean
      read_only?: boolean
      tmpfs?: Array<string>
      cap_drop?: Array<string>
      security_opt?: Array<string>
      environment?: Array<string>
    }>
  }
  const known = new Set(Object.values(SETTINGS).flatMap((section) => Object.values(section).map((s) => s.env)))
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build !== undefined && !existsSync(join(root, service.build, "Dockerfile"))) {
      problems.push(`compose service ${name}: build context ${service.build} has no Dockerfile`)
    }
    if (service.init !== true) {
      problems.push(`compose service ${name}: set init: true so signals and zombies are handled`)
    }
    if (service.read_only !== true) problems.push(`compose service ${name}: set read_only: true`)
    if (!(service.tmpfs ?? []).includes("/tmp")) {
      problems.push(`compose service ${name}: mount a tmpfs on /tmp (the health check's heartbeat is written there)`)
    }
    if (!(service.cap_drop ?? []).includes("ALL")) problems.push(`compose service ${name}: set cap_drop: [ALL]`)
    if (!(service.security_opt ?? []).some((option) => /^no-new-privileges(?::true)?$/.test(option))) {
      problems.push(`compose service ${name}: set security_opt: [no-new-privileges:true]`)
    }
    for (const entry of service.environment ?? []) {
      const variable = entry.split("=")[0]!
      if (!known.has(variable)) problems.push(`compose service ${name}: ${variable} is not a setting of the connector`)
    }
  }
  return problems
}

/** The HEALTHCHECK's command, for running it against a heartbeat file here. */
export const healthCheckCommand = (root = ROOT): Array<string> => {
  const health = dockerfileInstructions(readFileSync(join(root, "Dockerfile"), "utf8")).find((i) =>
    i.keyword === "HEALTHCHECK"
  )
  const json = health?.argument.replace(/^.*?CMD\s+/, "")
  return json === undefined ? [] : JSON.parse(json) as Array<string>
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = containerProblems()
  if (problems.length > 0) {
    process.stderr.write(`Container files are inconsistent:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`)
    process.exit(1)
  }
  process.stdout.write("Dockerfile, .dockerignore and docker-compose.yml are consistent with the repository\n")
}
