/**
 * NCRONTAB, the Functions timer format: six fields, `second minute hour day month day-of-week`, always UTC on Flex
 * Consumption. Parsed here so a bad schedule is reported with its setting name before the host refuses it, and so the
 * local runner fires on the same schedule as Azure.
 */

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** For each field, which values match. */
export type Schedule = readonly (readonly boolean[])[];

/** Parses an expression; throws an Error whose message says which field is wrong. */
export function parseNcrontab(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(
      `has ${parts.length} fields; NCRONTAB needs 6 (second minute hour day month day-of-week), e.g. 0 */5 * * * *.`,
    );
  }
  return FIELDS.map((field, i) => parseField(parts[i] as string, field));
}

function parseField(text: string, field: FieldSpec): boolean[] {
  const matches = new Array<boolean>(field.max + 1).fill(false);
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`has a bad step "${item}" in the ${field.name} field.`);
    let from = field.min;
    let to = field.max;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = value(a, field);
      to = b === undefined ? (stepText === undefined ? from : field.max) : value(b, field);
      if (from > to) throw new Error(`has an empty range "${item}" in the ${field.name} field.`);
    }
    for (let v = from; v <= to; v += step) matches[v] = true;
  }
  return matches;
}

function value(text: string, field: FieldSpec): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  // Day-of-week 7 is Sunday in some cron dialects; NCRONTAB accepts it too.
  const n = named >= 0 ? named + (field.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (field.name === 'day-of-week' && n === 7) return 0;
  if (!Number.isInteger(n) || n < field.min || n > field.max) {
    throw new Error(`has "${text}" in the ${field.name} field; use ${field.min}-${field.max}.`);
  }
  return n;
}

/** The first time strictly after `after` that the schedule fires (UTC, whole seconds); searches up to 5 years. */
export function nextOccurrence(schedule: Schedule, after: Date): Date {
  const [seconds, minutes, hours, days, months, weekdays] = schedule as [
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
  ];
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!months[t.getUTCMonth() + 1]) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0);
    } else if (!days[t.getUTCDate()] || !weekdays[t.getUTCDay()]) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0);
    } else if (!hours[t.getUTCHours()]) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0);
    } else if (!minutes[t.getUTCMinutes()]) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
    } else if (!seconds[t.getUTCSeconds()]) {
      t.setUTCSeconds(t.getUTCSeconds() + 1);
    } else {
      return t;
    }
  }
  throw new Error('the schedule never fires');
}
