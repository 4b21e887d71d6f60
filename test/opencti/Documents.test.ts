import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as Documents from "../../src/opencti/Documents.js"
import { openCtiSchema, requestProblems, SCHEMA_VERSIONS } from "../support/opencti/OpenCtiSchemas.js"
import { registrationInput } from "../support/opencti/RegistrationInput.js"
import { describeWithShared, REPO_ROOT } from "../support/Shared.js"

/**
 * The fenced GraphQL blocks of docs/opencti-protocol.md, "GraphQL documents", in the order written, each under
 * its `### Op NN` heading.
 */
const documentedOperations = (): Array<readonly [op: string, document: string]> => {
  const text = readFileSync(resolve(REPO_ROOT, "docs/opencti-protocol.md"), "utf8")
  const start = text.indexOf("\n## GraphQL documents\n")
  expect(start, "docs/opencti-protocol.md has a \"## GraphQL documents\" section").toBeGreaterThanOrEqual(0)
  const next = text.indexOf("\n## ", start + 1)
  const section = text.slice(start, next === -1 ? undefined : next)
  return Array.from(
    section.matchAll(/^### Op (\d{2}) [^\n]*\n+```graphql\n([\s\S]*?)\n```$/gm),
    (match) => [match[1]!, match[2]!] as const
  )
}

describe("OpenCTI GraphQL documents", () => {
  it("are exactly the documents of docs/opencti-protocol.md, \"GraphQL documents\"", () => {
    const documented = documentedOperations()
    const ops = documented.map(([op]) => op)
    expect(new Set(ops).size, `op numbers are unique: ${ops.join(", ")}`).toBe(ops.length)
    expect([...ops].sort()).toEqual(Object.keys(Documents.DOCUMENTS).sort())
    for (const [op, document] of documented) {
      expect(Documents.DOCUMENTS[op as keyof typeof Documents.DOCUMENTS], `op ${op}`).toBe(document)
    }
  })
})

/** Variables shaped as the connector sends them (docs/opencti-protocol.md, "GraphQL documents", under each one). */
const SAMPLE_VARIABLES: Record<string, Record<string, unknown>> = {
  "01": {},
  "02": {
    input: registrationInput("6d8a1a5e-2b2f-4e4c-9d53-5c1f6f0d0b11")
  },
  "05": {
    id: "6d8a1a5e-2b2f-4e4c-9d53-5c1f6f0d0b11",
    state: "{\"last_import_date\": \"2025-01-01T00:00:00+00:00\"}",
    connectorInfo: {
      run_and_terminate: false,
      buffering: false,
      queue_threshold: 500.0,
      queue_messages_size: 0.0,
      next_run_datetime: "2025-01-01T01:00:00Z",
      last_run_datetime: null
    }
  },
  "06": { id: "6d8a1a5e-2b2f-4e4c-9d53-5c1f6f0d0b11" },
  "07": { connectorId: "6d8a1a5e-2b2f-4e4c-9d53-5c1f6f0d0b11", friendlyName: "SpyCloud run" },
  "10": { id: "work_6d8a_2025-01-01T00:00:00.000Z", message: "done", inError: false },
  "14": { id: "w", expectations: 12 },
  "19": { connectorId: "c", bundle: "{\"type\":\"bundle\",\"id\":\"bundle--x\",\"objects\":[]}", work_id: null },
  "21": {}
}

describeWithShared("OpenCTI GraphQL documents against the assembled schemas", () => {
  it("registration's 7.x fields are accepted only by a platform that has them", () => {
    const input = {
      input: { ...SAMPLE_VARIABLES["02"]!.input as object, version: "0.1.0", slug: "spycloud-typescript" }
    }
    const accepted = SCHEMA_VERSIONS.filter((version) =>
      requestProblems(openCtiSchema(version), Documents.REGISTER_CONNECTOR, input).length === 0
    )
    expect(accepted).toEqual(["7.260817.0+version-slug"])
  })

  for (const version of SCHEMA_VERSIONS) {
    it(`validate against the assembled ${version} schema, with sample variables`, () => {
      const schema = openCtiSchema(version)
      for (const [op, document] of Object.entries(Documents.DOCUMENTS)) {
        expect(requestProblems(schema, document), `op ${op}`).toEqual([])
        expect(requestProblems(schema, document, SAMPLE_VARIABLES[op]), `op ${op} variables`).toEqual([])
      }
    })

    it(`are checked for real against ${version}: bad variables and unknown fields are rejected`, () => {
      const schema = openCtiSchema(version)
      const badInfo = {
        ...SAMPLE_VARIABLES["05"],
        connectorInfo: { ...SAMPLE_VARIABLES["05"]!.connectorInfo as object, queue_threshold: null }
      }
      expect(requestProblems(schema, Documents.PING_CONNECTOR, badInfo)).not.toEqual([])
      const badType = { input: { ...SAMPLE_VARIABLES["02"]!.input as object, type: "NOT_A_TYPE" } }
      expect(requestProblems(schema, Documents.REGISTER_CONNECTOR, badType)).not.toEqual([])
      expect(requestProblems(schema, Documents.HEALTH_CHECK.replace("version", "jwks"))).not.toEqual([])
    })
  }
})
