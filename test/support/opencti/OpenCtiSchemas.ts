/**
 * The assembled OpenCTI schemas of ../shared/opencti (docs/opencti-protocol.md, "How the documents are checked"),
 * built once per process, and a check that tells whether a document and its variables would be accepted by a
 * platform.
 */
import {
  buildSchema,
  getOperationAST,
  getVariableValues,
  type GraphQLSchema,
  parse,
  validate,
  type VariableDefinitionNode
} from "graphql"
import { readFileSync } from "node:fs"
import { sharedPath } from "../SharedPaths.js"

/**
 * The platform versions every document must be valid for: 6.8.10 (the oldest supported), 6.9.17, the
 * newest 7.x release, and that release with the `version` and `slug` registration fields newer 7.x sources add.
 */
export const SCHEMA_VERSIONS = ["6.8.10", "6.9.17", "7.260817.0", "7.260817.0+version-slug"] as const
export type SchemaVersion = typeof SCHEMA_VERSIONS[number]

const cache = new Map<SchemaVersion, GraphQLSchema>()

/** The schema of one platform version; `assumeValidSDL` because the assembled SDL is known to build. */
export const openCtiSchema = (version: SchemaVersion): GraphQLSchema => {
  let schema = cache.get(version)
  if (schema === undefined) {
    const sdl = readFileSync(sharedPath("opencti", `opencti-assembled-${version}.graphql`), "utf8")
    schema = buildSchema(sdl, { assumeValidSDL: true })
    cache.set(version, schema)
  }
  return schema
}

/**
 * The problems a platform would report for this request: syntax, validation against the schema and, when
 * variables are given, their coercion to the declared types. Empty when the request is acceptable.
 */
export const requestProblems = (
  schema: GraphQLSchema,
  document: string,
  variables?: Readonly<Record<string, unknown>>
): Array<string> => {
  let parsed
  try {
    parsed = parse(document)
  } catch (error) {
    return [(error as Error).message]
  }
  const errors = validate(schema, parsed)
  if (errors.length > 0) return errors.map((error) => error.message)
  if (variables === undefined) return []
  const operation = getOperationAST(parsed)
  if (!operation) return ["the document has no single operation"]
  const definitions: ReadonlyArray<VariableDefinitionNode> = operation.variableDefinitions ?? []
  const coerced = getVariableValues(schema, definitions, variables)
  return coerced.errors?.map((error) => error.message) ?? []
}
