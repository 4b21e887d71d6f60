/**
 * A short, bounded description of any JSON value for logs and error texts. It never walks into a value:
 * a list or an object is described by its size, so a hostile value nested thousands of levels deep, or
 * megabytes long, costs a constant amount of work and stack.
 */

/** Strings longer than this are cut, with the number of characters left out. */
export const PREVIEW_MAX_CHARS = 80

/** Cuts text to `max` characters, saying how much was left out. */
export const truncateText = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

/** `"abc"`, `12`, `null`, `a list of 3 items`, `an object with 2 keys`: one level, never deeper. */
export const previewValue = (value: unknown, maxChars: number = PREVIEW_MAX_CHARS): string => {
  if (value === null) return "null"
  if (value === undefined) return "nothing"
  if (typeof value === "string") return JSON.stringify(truncateText(value, maxChars))
  if (typeof value === "number" || typeof value === "boolean") return truncateText(String(value), maxChars)
  if (Array.isArray(value)) return `a list of ${plural(value.length, "item")}`
  if (typeof value === "object") return `an object with ${plural(Object.keys(value).length, "key")}`
  return `a ${typeof value}`
}
