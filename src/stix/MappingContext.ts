/**
 * What every record's mapping shares, computed once per connector run: the author identity, the TLP
 * marking and how sensitive values are treated.
 */
import type { TlpLevel } from "../config/Settings.js"
import { identityId } from "./StixId.js"
import type { StixObject } from "./StixObject.js"
import { TLP_CREATED, tlpMarking } from "./TlpMarking.js"

export interface MappingOptions {
  /** `CONNECTOR_NAME`: the author identity's name, as in the official connector. */
  readonly connectorName: string
  /** `SPYCLOUD_TLP_LEVEL`. */
  readonly tlp: TlpLevel
  /** `SPYCLOUD_INCLUDE_SENSITIVE_DATA`: put secrets and card data into descriptions. */
  readonly includeSensitiveData: boolean
}

export interface MappingContext {
  /** The author `identity` object; every bundle carries it. */
  readonly author: StixObject
  readonly authorId: string
  /** The TLP `marking-definition` object; every bundle carries it. */
  readonly marking: StixObject
  readonly markingId: string
  /** `[markingId]`, frozen and shared by every object's `object_marking_refs`. */
  readonly markingRefs: ReadonlyArray<string>
  readonly includeSensitiveData: boolean
}

/** The official connector's author description. */
export const AUTHOR_DESCRIPTION = "SpyCloud external import connector"

export const makeMappingContext = (options: MappingOptions): MappingContext => {
  const authorId = identityId(options.connectorName, "organization")
  // Fixed timestamps (the official connector uses "now"): re-sent bundles stay byte-identical.
  const author: StixObject = {
    type: "identity",
    spec_version: "2.1",
    id: authorId,
    created: TLP_CREATED,
    modified: TLP_CREATED,
    name: options.connectorName,
    description: AUTHOR_DESCRIPTION,
    identity_class: "organization"
  }
  const marking = tlpMarking(options.tlp)
  return {
    author,
    authorId,
    marking,
    markingId: marking.id,
    markingRefs: Object.freeze([marking.id]),
    includeSensitiveData: options.includeSensitiveData
  }
}
