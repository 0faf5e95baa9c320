/** The current time, injectable so date rules (expiry, periods) can be tested on chosen days. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
