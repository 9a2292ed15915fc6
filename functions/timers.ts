import { app, type InvocationContext, type Timer } from '@azure/functions';
import { TIMER_FUNCTIONS } from '../shared/timers.ts';

// One registration per timer function; the schedule is an app setting the host substitutes (`%NAME%`).
for (const fn of TIMER_FUNCTIONS) {
  app.timer(fn.name, {
    schedule: `%${fn.schedule.name}%`,
    handler: async (_timer: Timer, context: InvocationContext): Promise<void> => {
      await fn.invoke(process.env, context);
    },
  });
}
