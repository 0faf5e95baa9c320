import { Router } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { tenantOf } from '../http/auth/tenant.js';
import { STATUS_SWEEP } from '../jobs/statusSweep.js';

export const sweepQueuedSchema = z.object({ queued: z.literal(true) });

export const conflictListSchema = z.object({
  data: z.array(
    z.object({
      customerId: z.string(),
      current: z.enum(['none', 'exempt', 'reverse']),
      wanted: z.enum(['none', 'exempt', 'reverse']),
      at: z.iso.datetime(),
    }),
  ),
});

export function coverageRoutes({ queue, taxExemptMemory }: ServiceContext): Router {
  const router = Router();
  // The daily sweep, now, for this account: after a bulk change, or to see the effect at once.
  router.post('/coverage/sweep', async (_req, res) => {
    const { accountId, livemode } = tenantOf(res);
    await queue.enqueue(STATUS_SWEEP, { accountId, livemode });
    res.json({ queued: true });
  });
  // Customers whose tax_exempt was set by hand against their certificates: reported, never overwritten.
  router.get('/coverage/conflicts', async (_req, res) => {
    const conflicts = await taxExemptMemory.conflicts(tenantOf(res));
    res.json({ data: conflicts.map(({ customerId, conflict }) => ({ customerId, current: conflict.current, wanted: conflict.wanted, at: conflict.at.toISOString() })) });
  });
  return router;
}
