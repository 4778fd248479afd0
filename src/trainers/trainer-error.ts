/** An external trainer's run refused (it crashed, stalled, broke the contract): exit 1 with this message, no result. */
export class TrainerError extends Error {
  override name = 'TrainerError';
}
