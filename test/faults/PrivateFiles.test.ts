/**
 * Files of the built binary, started from a shell with the common umask 022 (issue 14): the bundle folder
 * it creates is 0700, bundle and state files are 0600, and a symbolic link planted at the state file's
 * temporary name is not followed (the file it points at stays untouched).
 */
import { describe, expect, it } from "@effect/vitest"
import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import { runBinary } from "../support/Binary.js"
import { offlineEnv, readState, standInsForEachTest, tempDirectory } from "../support/OfflineRun.js"

const standIn = standInsForEachTest()

const modeOf = (path: string) => statSync(path).mode & 0o777

describe("files the binary writes", () => {
  it("under umask 022: folder 0700, bundles and state 0600; a link at the state's temporary name is not followed", async () => {
    const server = await standIn({ dataset: { records: 300, days: 3, seed: 5 } })
    const parent = tempDirectory("private-files")
    const directory = join(parent, "bundles")
    const env = offlineEnv(server, directory)

    const first = await runBinary(["once"], { env, umask: 0o022 })
    expect(first.code, first.stderr).toBe(0)
    expect(modeOf(directory)).toBe(0o700)
    const files = readdirSync(directory)
    expect(files).toContain(STATE_FILE_NAME)
    expect(files.filter((name) => name.endsWith(".json")).length).toBeGreaterThan(1)
    for (const name of files) expect(modeOf(join(directory, name)), name).toBe(0o600)

    const victim = join(parent, "victim.txt")
    writeFileSync(victim, "untouched", { mode: 0o644 })
    const temporary = join(directory, `${STATE_FILE_NAME}.tmp`)
    symlinkSync(victim, temporary)
    const stateInode = statSync(join(directory, STATE_FILE_NAME)).ino
    const second = await runBinary(["once"], { env, umask: 0o022 })
    expect(second.code, second.stderr).toBe(0)
    expect(readFileSync(victim, "utf8")).toBe("untouched")
    expect(modeOf(victim)).toBe(0o644)
    const state = join(directory, STATE_FILE_NAME)
    expect(lstatSync(state).isSymbolicLink()).toBe(false)
    expect(modeOf(state)).toBe(0o600)
    // The second pass did write its state, renamed over the old file from a fresh temporary one.
    expect(statSync(state).ino).not.toBe(stateInode)
    expect(readState(directory)).toBeTypeOf("object")
    expect(readdirSync(directory)).not.toContain(`${STATE_FILE_NAME}.tmp`)
  })
})
