import { Router } from 'express';
import { tenantOf } from '../http/auth/tenant.js';
import type { ServiceContext } from '../context.js';
import { validate } from '../http/validate.js';
import { accountSettingsSchema, statusBasisFor } from './accountSettings.js';

export function settingsRoutes({ settings, certificates, clock }: ServiceContext): Router {
  const router = Router();
  router.get('/settings', async (_req, res) => {
    res.json(await settings.get(tenantOf(res)));
  });
  router.patch('/settings', async (req, res) => {
    const changes = validate(accountSettingsSchema.partial(), req.body, 'body');
    const tenant = tenantOf(res);
    const before = await settings.get(tenant);
    const after = await settings.update(tenant, changes);
    // Stored statuses were computed under the old window and zone; recompute them all now.
    if (after.expiringWindowDays !== before.expiringWindowDays || after.timeZone !== before.timeZone) {
      await certificates.refreshStatuses(tenant, statusBasisFor(after, clock), true);
    }
    res.json(after);
  });
  return router;
}
