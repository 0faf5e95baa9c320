import type { Agenda } from 'agenda';

/** Hands work to the job processes; any role may enqueue, only `jobs`/`all` processes run it. */
export interface JobQueue {
  enqueue(name: string, data: Record<string, unknown>): Promise<void>;
}

export function agendaQueue(agenda: Agenda): JobQueue {
  return {
    async enqueue(name, data) {
      await agenda.now(name, data);
    },
  };
}
