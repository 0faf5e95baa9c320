import cors from 'cors';
import express, { Router } from 'express';
import { certificateLimits } from '@exemptions/shared';
import { settingsRoutes } from '../accounts/routes.js';
import { auditPackageRoutes } from '../audit/routes.js';
import { certificateRoutes } from '../certificates/routes.js';
import { certificateCsvRoutes } from '../certificates/csvRoutes.js';
import { complianceRoutes } from '../compliance/routes.js';
import { coverageRoutes } from '../coverage/routes.js';
import { ledgerRoutes } from '../ledger/routes.js';
import { periodRoutes } from '../periods/routes.js';
import { reprocessRoutes } from '../reprocess/routes.js';
import { reportRoutes } from '../reports/routes.js';
import { fileRoutes } from '../files/fileRoutes.js';
import { fileLinkRoutes } from '../files/fileLinkRoutes.js';
import { certificateRequestRoutes } from '../requests/routes.js';
import { appSignatureAuth } from './auth/appSignature.js';
import { parseJsonBody } from './auth/jsonBody.js';
import type { ServiceContext } from '../context.js';
import { serveOpenApiDocument } from './openapi.js';

/** Room for the largest certificate file plus multipart framing. */
const MAX_BODY_BYTES = certificateLimits.fileBytes + 256 * 1024;

/**
 * The API behind the Stripe App, under /api/v1. The app runs in a sandboxed iframe whose
 * origin is "null", so CORS answers "*" — here only; authentication is the signature, not the origin.
 */
export function createApiRouter(context: ServiceContext): Router {
  const router = Router();
  router.use(
    cors({
      origin: '*',
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Stripe-Signature', 'X-Stripe-User-Id', 'X-Stripe-Account-Id', 'X-Stripe-Livemode'],
      exposedHeaders: ['Content-Disposition', 'X-Request-Id'],
      maxAge: 600,
    }),
  );
  // The API's description is public: it is served before the signature check.
  router.get('/openapi.json', serveOpenApiDocument());
  router.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  router.use(appSignatureAuth({ secrets: context.appSecrets }));
  // Before parseJsonBody, which refuses non-JSON bodies: the operators' upload is multipart.
  router.use(fileRoutes(context));
  router.use(fileLinkRoutes(context));
  // Also before parseJsonBody (the import's body is the CSV), and before /certificates/:id.
  router.use(certificateCsvRoutes(context));
  router.use(parseJsonBody);
  router.use(certificateRoutes(context));
  router.use(settingsRoutes(context));
  router.use(coverageRoutes(context));
  router.use(ledgerRoutes(context));
  router.use(certificateRequestRoutes(context));
  router.use(periodRoutes(context));
  router.use(reprocessRoutes(context));
  router.use(complianceRoutes(context));
  router.use(reportRoutes(context));
  router.use(auditPackageRoutes(context));
  return router;
}
