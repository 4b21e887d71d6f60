/**
 * Cursor pagination that keeps exactly one request ahead of the consumer: while page n is being converted and
 * sent, page n + 1 is fetched, and nothing further. SpyCloud cursors age (about two minutes, docs/spycloud-api.md,
 * "Pagination and cursors"), so the next request must not wait for slow downstream work; and memory must stay
 * bounded by pages, so the fetching must not run ahead either.
 */
import { Effect, Fiber, Option, Stream } from "effect"

/**
 * Like `Stream.paginateEffect`: `fetch(state)` gives a page and the state of the next one (none at the
 * end). The request for the next page starts as soon as a page is handed downstream. When the stream
 * ends early or is interrupted, the request in flight is interrupted.
 */
export const paginatePrefetched = <S, A, E, R>(
  initial: S,
  fetch: (state: S) => Effect.Effect<readonly [A, Option.Option<S>], E, R>
): Stream.Stream<A, E, R> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const scope = yield* Effect.scope
    const start = (state: S) => Effect.forkIn(fetch(state), scope)
    const first = yield* start(initial)
    return Stream.unfoldEffect(Option.some(first), (pending) =>
      Option.match(pending, {
        onNone: () => Effect.succeed(Option.none()),
        onSome: (fiber) =>
          Effect.flatMap(Fiber.join(fiber), ([page, next]) =>
            Option.match(next, {
              onNone: () => Effect.succeed(Option.some([page, Option.none()] as const)),
              onSome: (state) =>
                Effect.map(start(state), (nextFiber) => Option.some([page, Option.some(nextFiber)] as const))
            }))
      }))
  }))
