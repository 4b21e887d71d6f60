/**
 * A cache for a pure function of a string that keeps at most `limit` answers and forgets them all when full.
 * Hot paths meet the same values again and again (a domain, a URL or an IP shared by many records), while
 * the keys come from the input, so the cache must not grow with it. Starting afresh costs less than tracking
 * recency, and the values that repeat come back at once. An undefined answer is not kept.
 */
export const memoizeBounded = <A>(limit: number, compute: (text: string) => A): (text: string) => A => {
  const answers = new Map<string, A>()
  return (text) => {
    let answer = answers.get(text)
    if (answer === undefined) {
      answer = compute(text)
      if (answer !== undefined) {
        if (answers.size >= limit) answers.clear()
        answers.set(text, answer)
      }
    }
    return answer
  }
}
