/**
 * The soak's arithmetic and its printed report, apart from the processes it drives, so that a unit test can
 * check them. Each record becomes one incident, so incidents are what "delivered", "expected" and
 * "duplicates" count; other objects (the author, the marking, observables several records share) are sent
 * again by design and only appear in the message totals.
 */

export interface RoundResult {
  readonly round: number
  /** Seed of the dataset, the SpyCloud faults and the fault schedule of this round. */
  readonly seed: number
  /** Valid records of the dataset: the incidents that must arrive. */
  readonly expected: number
  /** Expected incidents that arrived at least once. */
  readonly delivered: number
  /** Incident messages in the push queue (an incident sent twice counts twice). */
  readonly incidentMessages: number
  /** Every message in the push queue, and the distinct object ids they carry. */
  readonly messages: number
  readonly distinctObjects: number
  /** Passes (works) the connector started until every window was checkpointed, and those never finished (killed). */
  readonly passes: number
  readonly unfinishedPasses: number
  /** Passes that ended in error (their work says why); the next pass starts again from the checkpoint. */
  readonly failedPasses: number
  readonly kills: number
  readonly brokerOutages: number
  /** Sends that lost RabbitMQ and recovered without failing their pass (the connector's log says so). */
  readonly recoveredInPass: number
  /** Times the connector exited by itself (each one restarted, as a restart policy would). */
  readonly exits: number
  readonly spycloudFaults: number
  readonly status504: number
  /** The checkpoint reached the newest day before the round's deadline. */
  readonly completed: boolean
  readonly wallSeconds: number
}

/** The counts a round has and the soak adds up. */
const SUMMED = [
  "expected",
  "delivered",
  "incidentMessages",
  "messages",
  "passes",
  "unfinishedPasses",
  "failedPasses",
  "kills",
  "brokerOutages",
  "recoveredInPass",
  "exits",
  "spycloudFaults",
  "status504"
] as const

export type SoakTotals = Pick<RoundResult, typeof SUMMED[number]> & {
  readonly rounds: number
  /** Incident messages beyond the first of each id: re-sends, upserts of an id already delivered. */
  readonly duplicates: number
  readonly completedRounds: number
  readonly wallSeconds: number
}

export const totals = (rounds: ReadonlyArray<RoundResult>, wallSeconds: number): SoakTotals => {
  const sums = Object.fromEntries(
    SUMMED.map((field) => [field, rounds.reduce((total, round) => total + round[field], 0)])
  ) as Pick<RoundResult, typeof SUMMED[number]>
  return {
    ...sums,
    rounds: rounds.length,
    duplicates: sums.incidentMessages - sums.delivered,
    completedRounds: rounds.filter((r) => r.completed).length,
    wallSeconds
  }
}

/** Every valid record of every round arrived, and every round finished its backfill. */
export const succeeded = (summary: SoakTotals): boolean =>
  summary.rounds > 0 && summary.delivered === summary.expected && summary.completedRounds === summary.rounds

const count = (value: number) => value.toLocaleString("en")
const plural = (value: number, one: string, many: string) => `${count(value)} ${value === 1 ? one : many}`

const percent = (part: number, whole: number) => whole === 0 ? "0.0 %" : `${(100 * part / whole).toFixed(1)} %`

export const TABLE_HEADER = [
  "| round | seed | delivered / expected | incident messages | duplicates | messages (distinct ids) | passes (killed, failed) | SIGKILLs | RabbitMQ outages (recovered in a pass) | exits | SpyCloud faults (504s) | wall |",
  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
]

export const roundRow = (r: RoundResult): string =>
  `| ${r.round}${r.completed ? "" : " (incomplete)"} | ${r.seed} | ${count(r.delivered)} / ${count(r.expected)} | ${
    count(r.incidentMessages)
  } | ${count(r.incidentMessages - r.delivered)} | ${count(r.messages)} (${
    count(r.distinctObjects)
  }) | ${r.passes} (${r.unfinishedPasses}, ${r.failedPasses}) | ${r.kills} | ${r.brokerOutages} (${r.recoveredInPass}) | ${r.exits} | ${
    count(r.spycloudFaults)
  } (${count(r.status504)}) | ${r.wallSeconds.toFixed(1)} s |`

/** The closing lines: delivered / expected, duplicates (which are upserts), passes, faults, wall time. */
export const summaryLines = (s: SoakTotals): ReadonlyArray<string> => [
  `valid records delivered / expected: ${count(s.delivered)} / ${count(s.expected)}${
    s.delivered === s.expected ? "" : ` (${count(s.expected - s.delivered)} missing)`
  }`,
  `duplicates: ${count(s.duplicates)} of ${count(s.incidentMessages)} incident messages (${
    percent(s.duplicates, s.incidentMessages)
  }) repeat an id already delivered (${
    count(s.delivered)
  } distinct): re-sends after a SIGKILL (the window since the last checkpoint is read again) or a RabbitMQ outage (the unconfirmed messages), upserts in OpenCTI`,
  `passes needed: ${count(s.passes)} in ${plural(s.rounds, "round", "rounds")} (${
    count(s.unfinishedPasses)
  } cut short by a SIGKILL, ${count(s.failedPasses)} failed, each followed by a pass from the checkpoint); ${
    plural(s.exits, "exit", "exits")
  } of the connector on its own`,
  `faults: ${plural(s.kills, "SIGKILL", "SIGKILLs")} of the connector, ${
    count(s.brokerOutages)
  } RabbitMQ stop_app/start_app (${count(s.recoveredInPass)} sends recovered inside their pass), ${
    count(s.spycloudFaults)
  } faulty SpyCloud answers (${count(s.status504)} of them 504)`,
  `rounds completed: ${s.completedRounds} / ${s.rounds}`,
  `wall time: ${s.wallSeconds.toFixed(1)} s`
]
