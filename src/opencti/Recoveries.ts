/**
 * What the OpenCTI side recovered from during a pass (RabbitMQ reconnections and re-sends, an OpenCTI API
 * that was unreachable for a while), so that the pass's work says what happened. The work tracker clears
 * the notes when it opens a work and appends them to the work's closing message.
 */
import { Context, Effect, Layer, Ref } from "effect"

/** Notes kept per pass; an outage that flaps for hours must not make the work message unbounded. */
export const MAX_NOTES = 10

export interface RecoveriesShape {
  /** Adds one line, e.g. "RabbitMQ connection lost (…), reconnected after 10.2 s, resent 1 bundle (37 messages)". */
  readonly note: (text: string) => Effect.Effect<void>
  /** The notes since the last `take`, and forgets them. */
  readonly take: Effect.Effect<ReadonlyArray<string>>
}

export class Recoveries extends Context.Tag("connector/Recoveries")<Recoveries, RecoveriesShape>() {}

export const make: Effect.Effect<RecoveriesShape> = Effect.map(
  Ref.make<{ readonly notes: ReadonlyArray<string>; readonly dropped: number }>({ notes: [], dropped: 0 }),
  (ref) => ({
    note: (text) =>
      Ref.update(ref, (current) =>
        current.notes.length < MAX_NOTES
          ? { notes: [...current.notes, text], dropped: current.dropped }
          : { notes: current.notes, dropped: current.dropped + 1 }),
    take: Ref.getAndSet(ref, { notes: [], dropped: 0 }).pipe(
      Effect.map(({ dropped, notes }) => dropped > 0 ? [...notes, `${dropped} more recoveries`] : notes)
    )
  })
)

export const layer: Layer.Layer<Recoveries> = Layer.effect(Recoveries, make)

/** The suffix of a work message: nothing, or "; recovered: <note>; <note>". */
export const recoveredSuffix = (notes: ReadonlyArray<string>): string =>
  notes.length === 0 ? "" : `; recovered: ${notes.join("; ")}`

/** Seconds with one decimal, for notes. */
export const seconds = (millis: number): string => `${(Math.max(0, millis) / 1000).toFixed(1)} s`
