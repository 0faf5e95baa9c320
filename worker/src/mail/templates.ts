import { exemptionReasonLabels, getJurisdiction, type ExemptionReason } from '@exemptions/shared';
import { html, type Html } from '../html/html.js';

/**
 * Every email, in HTML and plain text. Values from outside (names, messages, reasons) are
 * interpolated with the escaping `html` tag, so they stay text in every mail client; subjects
 * are kept to one line.
 */
export interface ComposedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim().slice(0, 200);
}

function jurisdictionNames(codes: readonly string[]): string {
  return codes.map((code) => getJurisdiction(code).name).join(', ');
}

function layout(title: string, body: Html, footer: string): string {
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f6f8fa;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1a1f36;line-height:1.5">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d8dee4;border-radius:8px;padding:24px">
${body}
<p style="margin-top:32px;font-size:13px;color:#545969">${footer}</p>
</div></body></html>`.value;
}

function button(href: string, label: string): Html {
  return html`<p style="margin:24px 0"><a href="${href}" style="display:inline-block;background:#0a2540;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600">${label}</a></p>
<p style="font-size:13px;color:#545969">If the button does not work, copy this address into your browser:<br><span style="word-break:break-all">${href}</span></p>`;
}

const customerFooter = 'You receive this email because a supplier asked for your sales tax exemption certificate. The link is personal: do not forward it.';
const merchantFooter = 'Sent by your exemption certificate manager.';

export interface RequestEmailInput {
  readonly businessName: string;
  readonly customerName: string | null;
  readonly jurisdictions: readonly string[];
  readonly message: string | null;
  readonly renewing: { readonly number: string | null; readonly expiration: string | null } | null;
  readonly link: string;
  readonly expiresOn: string;
  /** Set when this request follows a rejected submission. */
  readonly rejectionReason?: string | null;
}

export function requestEmail(input: RequestEmailInput): ComposedEmail {
  const places = jurisdictionNames(input.jurisdictions);
  const greeting = input.customerName === null ? 'Hello,' : `Hello ${input.customerName},`;
  const what = input.renewing === null ? `a sales tax exemption certificate for ${places}` : `a renewed sales tax exemption certificate for ${places}`;
  const renewal =
    input.renewing === null
      ? ''
      : `Your current certificate${input.renewing.number === null ? '' : ` (number ${input.renewing.number})`}${input.renewing.expiration === null ? '' : ` expires on ${input.renewing.expiration}`}.`;
  const body = html`<h1 style="font-size:20px;margin:0 0 16px">${input.businessName} asks for your exemption certificate</h1>
<p>${greeting}</p>
<p>${input.businessName} asks you for ${what}. ${renewal}</p>
${input.message === null ? '' : html`<blockquote style="margin:16px 0;padding:8px 16px;border-left:4px solid #d8dee4;color:#3c4257">${input.message}</blockquote>`}
<p>Fill in the certificate details and upload the signed form (PDF, PNG or JPEG) on this page. It takes a few minutes, and no account is needed.</p>
${button(input.link, 'Send your certificate')}
<p>The link works once, until ${input.expiresOn}.</p>`;
  const text = [
    greeting,
    '',
    `${input.businessName} asks you for ${what}. ${renewal}`.trim(),
    ...(input.message === null ? [] : ['', `Their message: ${input.message}`]),
    '',
    'Fill in the certificate details and upload the signed form (PDF, PNG or JPEG) here:',
    input.link,
    '',
    `The link works once, until ${input.expiresOn}.`,
    '',
    customerFooter,
  ].join('\n');
  return { subject: oneLine(`${input.businessName}: please send your sales tax exemption certificate`), html: layout('Exemption certificate request', body, customerFooter), text };
}

export function rejectedEmail(input: RequestEmailInput & { readonly rejectionReason: string }): ComposedEmail {
  const places = jurisdictionNames(input.jurisdictions);
  const greeting = input.customerName === null ? 'Hello,' : `Hello ${input.customerName},`;
  const body = html`<h1 style="font-size:20px;margin:0 0 16px">Your certificate could not be accepted</h1>
<p>${greeting}</p>
<p>${input.businessName} reviewed the exemption certificate you sent for ${places} and could not accept it:</p>
<blockquote style="margin:16px 0;padding:8px 16px;border-left:4px solid #d8dee4;color:#3c4257">${input.rejectionReason}</blockquote>
<p>Please send it again with this new link.</p>
${button(input.link, 'Send your certificate again')}
<p>The link works once, until ${input.expiresOn}.</p>`;
  const text = [
    greeting,
    '',
    `${input.businessName} reviewed the exemption certificate you sent for ${places} and could not accept it:`,
    input.rejectionReason,
    '',
    'Please send it again with this new link:',
    input.link,
    '',
    `The link works once, until ${input.expiresOn}.`,
    '',
    customerFooter,
  ].join('\n');
  return { subject: oneLine(`${input.businessName}: your exemption certificate needs another look`), html: layout('Certificate not accepted', body, customerFooter), text };
}

export interface ApprovedEmailInput {
  readonly businessName: string;
  readonly customerName: string | null;
  readonly jurisdictions: readonly { readonly code: string; readonly expirationDate: string | null }[];
}

export function approvedEmail(input: ApprovedEmailInput): ComposedEmail {
  const greeting = input.customerName === null ? 'Hello,' : `Hello ${input.customerName},`;
  const lines = input.jurisdictions.map((j) => `${getJurisdiction(j.code).name}: ${j.expirationDate === null ? 'no expiration date' : `valid until ${j.expirationDate}`}`);
  const body = html`<h1 style="font-size:20px;margin:0 0 16px">Your exemption certificate is accepted</h1>
<p>${greeting}</p>
<p>${input.businessName} accepted your exemption certificate. It applies to your purchases from now on.</p>
<ul>${lines.map((line) => html`<li>${line}</li>`)}</ul>`;
  const text = [greeting, '', `${input.businessName} accepted your exemption certificate. It applies to your purchases from now on.`, '', ...lines.map((l) => `- ${l}`), '', customerFooter].join('\n');
  return { subject: oneLine(`${input.businessName}: your exemption certificate is accepted`), html: layout('Certificate accepted', body, customerFooter), text };
}

export interface ReminderEmailInput {
  readonly businessName: string;
  readonly customerName: string | null;
  readonly certificateNumber: string | null;
  readonly jurisdictions: readonly string[];
  readonly expirationDate: string;
  readonly daysLeft: number;
  /** When a request is open, the customer already has a link: the reminder points to that email. */
  readonly requestSentOn: string | null;
}

export function reminderEmail(input: ReminderEmailInput): ComposedEmail {
  const greeting = input.customerName === null ? 'Hello,' : `Hello ${input.customerName},`;
  const places = jurisdictionNames(input.jurisdictions);
  const certificate = `Your sales tax exemption certificate${input.certificateNumber === null ? '' : ` (number ${input.certificateNumber})`} for ${places}`;
  const when = input.daysLeft === 0 ? 'expires today' : `expires on ${input.expirationDate}, in ${input.daysLeft} day${input.daysLeft === 1 ? '' : 's'}`;
  const next =
    input.requestSentOn === null
      ? `Please send a renewed certificate to ${input.businessName}; purchases after it expires are taxed.`
      : `${input.businessName} emailed you a link to send the renewed certificate on ${input.requestSentOn}. Please use it; purchases after the expiry are taxed.`;
  const body = html`<h1 style="font-size:20px;margin:0 0 16px">Your exemption certificate ${when}</h1>
<p>${greeting}</p>
<p>${certificate} with ${input.businessName} ${when}.</p>
<p>${next}</p>`;
  const text = [greeting, '', `${certificate} with ${input.businessName} ${when}.`, '', next, '', customerFooter].join('\n');
  return { subject: oneLine(`${input.businessName}: your exemption certificate ${when}`), html: layout('Certificate expiring', body, customerFooter), text };
}

export interface SubmissionReceivedInput {
  readonly customerName: string | null;
  readonly customerId: string;
  readonly requestId: string;
  readonly reason: ExemptionReason;
  readonly jurisdictions: readonly string[];
  readonly signerName: string;
  readonly signerTitle: string;
  readonly activeContent: readonly string[];
}

export function submissionReceivedEmail(input: SubmissionReceivedInput): ComposedEmail {
  const who = input.customerName === null ? input.customerId : `${input.customerName} (${input.customerId})`;
  const flagged =
    input.activeContent.length === 0
      ? null
      : `Warning: the uploaded PDF contains active content (${input.activeContent.join(', ')}). Open it with care, in a viewer that does not run scripts.`;
  const facts = [
    `Customer: ${who}`,
    `Reason: ${exemptionReasonLabels[input.reason]}`,
    `Jurisdictions: ${jurisdictionNames(input.jurisdictions)}`,
    `Signed by: ${input.signerName}, ${input.signerTitle}`,
    `Request: ${input.requestId}`,
  ];
  const body = html`<h1 style="font-size:20px;margin:0 0 16px">A certificate is waiting for your review</h1>
<p>${who} sent an exemption certificate in answer to your request.</p>
<ul>${facts.map((fact) => html`<li>${fact}</li>`)}</ul>
${flagged === null ? '' : html`<p style="padding:12px;background:#fff4e5;border:1px solid #f5a623;border-radius:6px"><strong>${flagged}</strong></p>`}
<p>Review it in the Stripe Dashboard, in the Exemption certificates app’s review queue.</p>`;
  const text = [
    `${who} sent an exemption certificate in answer to your request.`,
    '',
    ...facts,
    ...(flagged === null ? [] : ['', flagged]),
    '',
    'Review it in the Stripe Dashboard, in the Exemption certificates app’s review queue.',
  ].join('\n');
  return { subject: oneLine(`Certificate to review: ${who}`), html: layout('Certificate to review', body, merchantFooter), text };
}

export interface DigestEntry {
  readonly customerName: string | null;
  readonly customerId: string;
  readonly certificateId: string;
  readonly expirationDate: string;
}

export function expiringDigestEmail(input: { readonly today: string; readonly expiring: readonly DigestEntry[]; readonly awaitingReview: number }): ComposedEmail {
  const line = (e: DigestEntry): string => `${e.customerName ?? e.customerId} — expires ${e.expirationDate} (${e.certificateId})`;
  const review = input.awaitingReview === 0 ? null : `${input.awaitingReview} customer submission${input.awaitingReview === 1 ? '' : 's'} waiting for review.`;
  const body = html`<h1 style="font-size:20px;margin:0 0 16px">Certificates expiring soon</h1>
<p>As of ${input.today}, ${input.expiring.length} certificate${input.expiring.length === 1 ? ' is' : 's are'} expiring soon.</p>
<ul>${input.expiring.map((e) => html`<li>${line(e)}</li>`)}</ul>
${review === null ? '' : html`<p>${review}</p>`}
<p>Request renewals from the customer page in the Stripe Dashboard.</p>`;
  const text = [
    `As of ${input.today}, ${input.expiring.length} certificate${input.expiring.length === 1 ? ' is' : 's are'} expiring soon.`,
    '',
    ...input.expiring.map((e) => `- ${line(e)}`),
    ...(review === null ? [] : ['', review]),
    '',
    'Request renewals from the customer page in the Stripe Dashboard.',
  ].join('\n');
  return { subject: oneLine(`Exemption certificates: ${input.expiring.length} expiring soon (${input.today})`), html: layout('Certificates expiring soon', body, merchantFooter), text };
}
