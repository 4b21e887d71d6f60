/**
 * A one-entry cache for a pure function of a string: hot paths meet the same text many times in a row
 * (the records of a page mostly share one publish date), so remembering the last answer avoids the work
 * without a cache that could grow.
 */
export const memoizeLast = <A>(compute: (text: string) => A): (text: string) => A => {
  let lastText: string | undefined
  let lastValue: A
  return (text) => {
    if (text !== lastText) {
      lastValue = compute(text)
      lastText = text
    }
    return lastValue
  }
}
