import { Router } from 'express';
import { tenantOf } from '../http/auth/tenant.js';
import type { ApiContext } from '../http/context.js';
import { validate } from '../http/validate.js';
import { accountSettingsSchema } from './accountSettings.js';

export function settingsRoutes({ settings }: ApiContext): Router {
  const router = Router();
  router.get('/settings', async (_req, res) => {
    res.json(await settings.get(tenantOf(res)));
  });
  router.patch('/settings', async (req, res) => {
    const changes = validate(accountSettingsSchema.partial(), req.body, 'body');
    res.json(await settings.update(tenantOf(res), changes));
  });
  return router;
}
