import { Router } from 'express';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { validate } from '../http/validate.js';

const outboxQuery = z.strictObject({
  to: z.string().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/**
 * The database outbox, for local runs without SMTP: `GET /dev/outbox` lists the newest emails
 * of every account (with their links), `?to=` narrows to one recipient. Mounted only when
 * MAIL_OUTBOX_ROUTE is on — never in production, since it reveals every customer's link.
 */
export function outboxRoutes(context: ServiceContext): Router {
  const router = Router();
  router.get('/dev/outbox', async (req, res) => {
    const query = validate(outboxQuery, req.query, 'query');
    const emails = await context.mailer.outbox.latest(query.limit, query.to);
    res.set('Cache-Control', 'no-store').json({
      data: emails.map((e) => ({
        id: e._id,
        accountId: e.accountId,
        livemode: e.livemode,
        template: e.template,
        to: e.to,
        subject: e.subject,
        status: e.status,
        createdAt: e.createdAt.toISOString(),
        text: e.text,
        html: e.html,
      })),
    });
  });
  return router;
}
