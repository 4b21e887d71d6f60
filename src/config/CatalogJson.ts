import { Option, type Schema, SchemaAST } from "effect"

/**
 * How the OpenCTI catalog's configuration schema (JSON Schema) describes the values a schema accepts: its
 * `type` and, where they apply, `enum`, `const`, `format` and bounds. scripts/config-docs.ts reads it to
 * generate `__metadata__/connector_config_schema.json`.
 */
export const CatalogJson = Symbol.for("spycloud-connector/CatalogJson")
export type CatalogJsonSchema = Readonly<Record<string, unknown>>

export const catalogJson = (schema: Schema.Schema.Any): CatalogJsonSchema | undefined =>
  Option.getOrUndefined(SchemaAST.getAnnotation<CatalogJsonSchema>(schema.ast, CatalogJson))
