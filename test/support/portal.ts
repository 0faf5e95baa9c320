/** A small but well-formed PDF, with `extra` objects (such as an action) added to it. */
export function samplePdf(extra = ''): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n${extra}trailer\n<< /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}

export interface PortalFile {
  readonly bytes: Buffer;
  readonly filename: string;
  readonly type: string;
}

/** The portal form as a browser posts it (multipart), to `link` rewritten onto the service's own address. */
export async function postPortalForm(serviceUrl: string, link: string, fields: Readonly<Record<string, string>>, file?: PortalFile): Promise<{ status: number; text: string; headers: Headers }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file !== undefined) form.append('certificateFile', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.filename);
  const response = await fetch(onService(serviceUrl, link), { method: 'POST', body: form });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

export async function getPortalPage(serviceUrl: string, link: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(onService(serviceUrl, link));
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The emailed link's path on the test service (the link's host is the configured PUBLIC_URL). */
export function onService(serviceUrl: string, link: string): string {
  const { pathname } = new URL(link);
  return new URL(pathname, serviceUrl).toString();
}

/** A complete, valid answer for a request asking for Texas (row 0). */
export function texasAnswer(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    reason: 'resale',
    reasonOther: '',
    form: 'single_state',
    number: 'TX-RESALE-778',
    j0_code: 'US-TX',
    j0_registrationId: '32012345678',
    j0_effectiveDate: '2026-05-01',
    j0_expirationDate: '2030-04-30',
    j1_code: '',
    j1_registrationId: '',
    j1_effectiveDate: '',
    j1_expirationDate: '',
    signerName: 'Ada Lovelace',
    signerTitle: 'Purchasing manager',
    ...overrides,
  };
}
