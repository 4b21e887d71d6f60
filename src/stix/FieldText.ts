/**
 * The first check of every value that may become an observable: SpyCloud sends open JSON, so a field can
 * be missing, null, of the wrong JSON type, empty, masked by asset allow-listing (`********`), or hold
 * characters no observable value should contain.
 */

/** Why a value did not become an observable. The value itself is never reported. */
export type SkipReason = "empty" | "masked" | "invalid" | "malformed" | "oversize"

/**
 * The longest value that may become an observable, in UTF-16 units. Real ones (URLs with long query strings,
 * user agents, Windows paths) stay far below; a longer one is hostile or broken, and would otherwise be
 * copied into every bundle and hashed into an id.
 */
export const MAX_VALUE_LENGTH = 8192

export type FieldText =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Rejected"; readonly reason: SkipReason }

const ABSENT: FieldText = { _tag: "Absent" }
const rejected = (reason: SkipReason): FieldText => ({ _tag: "Rejected", reason })
const EMPTY = rejected("empty")
const MASKED = rejected("masked")
const INVALID = rejected("invalid")
const MALFORMED = rejected("malformed")
const OVERSIZE = rejected("oversize")

/**
 * SpyCloud masks a value it may not show as exactly eight asterisks (docs/spycloud-api.md, "Masked values").
 * "Similar" masks: a value made only of asterisks or bullets, a run of four or more asterisks inside a value
 * (`jo****@x.io`), and the usual placeholder words.
 */
const ONLY_MASK_CHARACTERS = /^[\s*•●]+$/
const ASTERISK_RUN = /\*{4}/
const PLACEHOLDER = /^\s*[[(<]?\s*(?:redacted|masked|hidden)\s*[\])>]?\s*$/i

export const isMasked = (text: string): boolean =>
  ONLY_MASK_CHARACTERS.test(text) || ASTERISK_RUN.test(text) || PLACEHOLDER.test(text)

/** C0 controls, DEL and lone UTF-16 surrogates (which Python cannot even hash for an id). */
const UNFIT_CHARACTER = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
// The precise pattern above needs look-arounds; most text has none of these characters and skips it.
const MAYBE_UNFIT = /[\u0000-\u001f\u007f\ud800-\udfff]/

export const hasUnfitCharacter = (text: string): boolean => MAYBE_UNFIT.test(text) && UNFIT_CHARACTER.test(text)

/** Classifies a raw field value; a `Text` is at most `MAX_VALUE_LENGTH` long, non-empty, unmasked and free of control characters. */
export const fieldText = (value: unknown): FieldText => {
  if (value === undefined || value === null) return ABSENT
  if (typeof value !== "string") return MALFORMED
  if (value.length > MAX_VALUE_LENGTH) return OVERSIZE
  if (value.trim() === "") return EMPTY
  if (isMasked(value)) return MASKED
  if (hasUnfitCharacter(value)) return INVALID
  return { _tag: "Text", text: value }
}

/** A usable text or undefined, for values that are shown rather than turned into observables. */
export const usableText = (value: unknown): string | undefined => {
  const field = fieldText(value)
  return field._tag === "Text" ? field.text : undefined
}

/** Text worth showing as prose (a catalog title or description): non-empty and unmasked; line breaks allowed. */
export const displayText = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" && !isMasked(value) ? value : undefined
