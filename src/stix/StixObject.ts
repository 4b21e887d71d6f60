/** The minimal shape of what the connector emits; the mapper's own types refine it per object type. */

/** Any STIX 2.1 object (SDO, SCO, SRO, marking). Properties beyond `type` and `id` vary by type. */
export interface StixObject {
  readonly type: string
  readonly id: string
  readonly [property: string]: unknown
}

/** `{type: "bundle", id: "bundle--<uuid4>", objects}`. */
export interface StixBundle {
  readonly type: "bundle"
  readonly id: string
  readonly objects: ReadonlyArray<StixObject>
}
