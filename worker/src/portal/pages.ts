import {
  certificateFormLabels,
  certificateForms,
  exemptionReasonLabels,
  exemptionReasons,
  getJurisdiction,
  jurisdictions as allJurisdictions,
} from '@exemptions/shared';
import { html, type Html } from '../html/html.js';
import { PORTAL_PREFIX } from './links.js';

/*
 * The customer portal's pages: server-rendered, no script (the CSP allows none), one
 * stylesheet from our origin. Everything from outside goes through the escaping `html` tag.
 */

export const PORTAL_STYLESHEET = `${PORTAL_PREFIX}/assets/portal.css`;

function page(title: string, main: Html): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<link rel="stylesheet" href="${PORTAL_STYLESHEET}">
</head>
<body>
<main id="main">
${main}
</main>
</body>
</html>
`.value;
}

/** Shown for every link that cannot be used, whatever the reason: it says nothing about which. */
export function unavailablePage(): string {
  return page(
    'Link not available',
    html`<h1>This link cannot be used</h1>
<p>The link may have expired, been used already, or been replaced by a newer one.</p>
<p>Please ask the business that sent it for a new link.</p>`,
  );
}

export function tooManyRequestsPage(): string {
  return page('Too many attempts', html`<h1>Too many attempts</h1><p>Please wait a few minutes, then try again.</p>`);
}

export function problemPage(): string {
  return page('Something went wrong', html`<h1>Something went wrong</h1><p>Nothing was sent. Please try again in a few minutes.</p>`);
}

/** What the form shows about the request: who asks, for what, and until when. */
export interface RequestSummary {
  readonly businessName: string;
  readonly customerName: string | null;
  readonly jurisdictions: readonly string[];
  readonly message: string | null;
  readonly renewing: { readonly number: string | null } | null;
  readonly expiresOn: string;
}

/** One jurisdiction row of the form: the requested ones are fixed, the last is a free choice. */
export interface JurisdictionRow {
  readonly index: number;
  /** The jurisdiction asked for, or null for the optional extra row. */
  readonly fixedCode: string | null;
}

/** What the customer typed (kept when the form comes back with errors) and what is wrong, by field name. */
export interface FormState {
  readonly values: ReadonlyMap<string, string>;
  readonly errors: ReadonlyMap<string, string>;
  /** Problems not tied to one field (the form itself). */
  readonly general: readonly string[];
}

export const emptyFormState: FormState = { values: new Map(), errors: new Map(), general: [] };

/** The order errors are listed in the summary: the order of the fields on the page. */
export function fieldOrder(rows: readonly JurisdictionRow[]): string[] {
  return [
    'reason',
    'reasonOther',
    'form',
    'number',
    'jurisdictions',
    ...rows.flatMap((row) => ['code', 'registrationId', 'effectiveDate', 'expirationDate'].map((field) => `j${row.index}_${field}`)),
    'signerName',
    'signerTitle',
    'certificateFile',
  ];
}

const fieldLabels: Readonly<Record<string, string>> = {
  reason: 'Exemption reason',
  reasonOther: 'Explain the exemption',
  form: 'Certificate form',
  number: 'Certificate or permit number',
  jurisdictions: 'Jurisdictions',
  code: 'State or territory',
  registrationId: 'Registration or permit number in this state',
  effectiveDate: 'Effective date',
  expirationDate: 'Expiration date',
  signerName: 'Name of the person who signed',
  signerTitle: 'Their title',
  certificateFile: 'Signed certificate',
};

export function labelOf(name: string): string {
  const field = /^j\d+_(.+)$/.exec(name)?.[1] ?? name;
  return fieldLabels[field] ?? name;
}

function errorOf(state: FormState, name: string): Html {
  const message = state.errors.get(name);
  return message === undefined ? html`` : html`<p class="error" id="${name}-error"><span class="visually-hidden">Error: </span>${message}</p>`;
}

/** aria attributes tying a field to its hint and its error, so a screen reader reads both. */
function describedBy(state: FormState, name: string, hint: boolean): Html {
  const ids = [...(hint ? [`${name}-hint`] : []), ...(state.errors.has(name) ? [`${name}-error`] : [])];
  return html`${ids.length > 0 ? html` aria-describedby="${ids.join(' ')}"` : ''}${state.errors.has(name) ? html` aria-invalid="true"` : ''}`;
}

function textField(state: FormState, name: string, options: { required: boolean; hint?: string; type?: 'text' | 'date'; autocomplete?: string; maxLength?: number }): Html {
  const value = state.values.get(name) ?? '';
  return html`<div class="field${state.errors.has(name) ? ' field-error' : ''}">
<label for="${name}">${labelOf(name)}${options.required ? '' : html` <span class="optional">(optional)</span>`}</label>
${options.hint === undefined ? '' : html`<p class="hint" id="${name}-hint">${options.hint}</p>`}
${errorOf(state, name)}
<input id="${name}" name="${name}" type="${options.type ?? 'text'}" value="${value}"${options.required ? html` required` : ''}${options.autocomplete === undefined ? '' : html` autocomplete="${options.autocomplete}"`}${options.maxLength === undefined ? '' : html` maxlength="${options.maxLength}"`}${describedBy(state, name, options.hint !== undefined)}>
</div>`;
}

function selectField(state: FormState, name: string, choices: ReadonlyArray<readonly [string, string]>, options: { required: boolean; placeholder: string; hint?: string }): Html {
  const selected = state.values.get(name) ?? '';
  return html`<div class="field${state.errors.has(name) ? ' field-error' : ''}">
<label for="${name}">${labelOf(name)}${options.required ? '' : html` <span class="optional">(optional)</span>`}</label>
${options.hint === undefined ? '' : html`<p class="hint" id="${name}-hint">${options.hint}</p>`}
${errorOf(state, name)}
<select id="${name}" name="${name}"${options.required ? html` required` : ''}${describedBy(state, name, options.hint !== undefined)}>
<option value=""${selected === '' ? html` selected` : ''}>${options.placeholder}</option>
${choices.map(([value, label]) => html`<option value="${value}"${selected === value ? html` selected` : ''}>${label}</option>`)}
</select>
</div>`;
}

function jurisdictionFieldset(state: FormState, row: JurisdictionRow): Html {
  const prefix = `j${row.index}`;
  const fixed = row.fixedCode;
  const legend = fixed === null ? 'Another state (optional)' : getJurisdiction(fixed).name;
  return html`<fieldset class="jurisdiction">
<legend>${legend}</legend>
${
  fixed === null
    ? selectField(
        state,
        `${prefix}_code`,
        allJurisdictions.map((j) => [j.code, j.name] as const),
        { required: false, placeholder: 'Choose a state or territory' },
      )
    : html`<input type="hidden" name="${prefix}_code" value="${fixed}">`
}
${textField(state, `${prefix}_registrationId`, { required: false, maxLength: 64 })}
${textField(state, `${prefix}_effectiveDate`, { required: fixed !== null, type: 'date', hint: 'The first day the certificate applies, as on the form.' })}
${textField(state, `${prefix}_expirationDate`, { required: false, type: 'date', hint: 'Leave empty if the certificate does not expire.' })}
</fieldset>`;
}

function requestIntro(summary: RequestSummary): Html {
  const places = summary.jurisdictions.map((code) => getJurisdiction(code).name).join(', ');
  return html`<p class="eyebrow">Sales tax exemption certificate</p>
<h1>${summary.businessName} asks for your exemption certificate</h1>
<p>${summary.customerName === null ? '' : html`For <strong>${summary.customerName}</strong>. `}${summary.renewing === null ? 'A certificate' : 'A renewed certificate'} for <strong>${places}</strong>${summary.renewing?.number == null ? '' : html`, replacing certificate number ${summary.renewing.number}`}.</p>
${summary.message === null ? '' : html`<figure class="message"><blockquote>${summary.message}</blockquote><figcaption>Message from ${summary.businessName}</figcaption></figure>`}
<p class="hint">This link works once, until ${summary.expiresOn}. What you send goes only to ${summary.businessName}.</p>`;
}

export function formPage(action: string, summary: RequestSummary, rows: readonly JurisdictionRow[], state: FormState): string {
  const problems = fieldOrder(rows).filter((name) => state.errors.has(name));
  // Several sections have an "Effective date": the summary says whose.
  const rowNames = new Map(rows.map((row) => [`j${row.index}_`, row.fixedCode === null ? 'another state' : getJurisdiction(row.fixedCode).name]));
  const summaryLabel = (name: string): string => {
    const row = rowNames.get(/^j\d+_/.exec(name)?.[0] ?? '');
    return row === undefined ? labelOf(name) : `${labelOf(name)} (${row})`;
  };
  const hasErrors = problems.length > 0 || state.general.length > 0;
  const summaryBox = hasErrors
    ? html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">Please correct ${problems.length + state.general.length === 1 ? 'this' : 'these'} to send your certificate</h2>
<ul>
${state.general.map((message) => html`<li>${message}</li>`)}
${problems.map((name) => html`<li><a href="#${name}">${summaryLabel(name)}: ${state.errors.get(name) ?? ''}</a></li>`)}
</ul>
</div>`
    : html``;
  return page(
    hasErrors ? 'Error: send your exemption certificate' : 'Send your exemption certificate',
    html`${requestIntro(summary)}
${summaryBox}
<form method="post" action="${action}" enctype="multipart/form-data" novalidate>
<h2>About the certificate</h2>
${selectField(state, 'reason', exemptionReasons.map((r) => [r, exemptionReasonLabels[r]] as const), { required: true, placeholder: 'Choose the reason' })}
${textField(state, 'reasonOther', { required: false, hint: 'Only when the reason is Other.', maxLength: 500 })}
${selectField(state, 'form', certificateForms.map((f) => [f, certificateFormLabels[f]] as const), { required: true, placeholder: 'Choose the form you signed' })}
${textField(state, 'number', { required: false, maxLength: 64 })}
<h2 id="jurisdictions">Where it applies</h2>
${errorOf(state, 'jurisdictions')}
${rows.map((row) => jurisdictionFieldset(state, row))}
<h2>Who signed it</h2>
${textField(state, 'signerName', { required: true, autocomplete: 'name', maxLength: 100 })}
${textField(state, 'signerTitle', { required: true, autocomplete: 'organization-title', maxLength: 100 })}
<div class="field${state.errors.has('certificateFile') ? ' field-error' : ''}">
<label for="certificateFile">${labelOf('certificateFile')}</label>
<p class="hint" id="certificateFile-hint">A PDF, PNG or JPEG of the signed form, up to 10 MB.${hasErrors ? ' Please choose the file again.' : ''}</p>
${errorOf(state, 'certificateFile')}
<input id="certificateFile" name="certificateFile" type="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg" required${describedBy(state, 'certificateFile', true)}>
</div>
<button type="submit">Send certificate</button>
</form>`,
  );
}

export function confirmationPage(summary: RequestSummary, submitted: { readonly filename: string; readonly jurisdictions: readonly string[] }): string {
  return page(
    'Certificate sent',
    html`<p class="eyebrow">Sales tax exemption certificate</p>
<h1>Thank you, your certificate was sent</h1>
<p>${summary.businessName} received your certificate for <strong>${submitted.jurisdictions.map((code) => getJurisdiction(code).name).join(', ')}</strong> (file ${submitted.filename}) and will review it.</p>
<p>You will get an email when it is accepted. This link cannot be used again; you can close this page.</p>`,
  );
}

/** The only stylesheet: mobile first, WCAG AA contrast, visible focus. */
export const portalCss = `
*,*::before,*::after{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;background:#f6f8fa;color:#1a1f36;font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;line-height:1.5}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem 3rem;background:#fff;min-height:100vh}
@media (min-width:48rem){main{margin:2rem auto;min-height:0;border:1px solid #d8dee4;border-radius:8px;padding:2rem 2.5rem 3rem}}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 0 1rem}
h2{font-size:1.2rem;margin:2rem 0 .75rem;padding-top:1rem;border-top:1px solid #e3e8ee}
.eyebrow{margin:0;color:#425466;font-size:.875rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.hint{color:#425466;font-size:.9375rem;margin:.125rem 0 .375rem}
.message{margin:1rem 0;padding:.75rem 1rem;border-left:4px solid #635bff;background:#f6f8fa}
.message blockquote{margin:0;white-space:pre-wrap}
.message figcaption{color:#425466;font-size:.875rem;margin-top:.25rem}
.field{margin:0 0 1.25rem}
label,legend{display:block;font-weight:600;margin-bottom:.25rem}
.optional{font-weight:400;color:#425466}
input[type=text],input[type=date],select{display:block;width:100%;font:inherit;font-size:1rem;color:#1a1f36;padding:.625rem .75rem;border:2px solid #6b7385;border-radius:6px;background:#fff;min-height:2.75rem}
input[type=file]{display:block;width:100%;font:inherit;padding:.5rem 0}
fieldset{border:1px solid #d8dee4;border-radius:8px;padding:1rem 1rem .25rem;margin:0 0 1.25rem;min-width:0}
legend{padding:0 .25rem;font-size:1.0625rem}
.field-error input,.field-error select{border-color:#b3093c}
.error{color:#b3093c;font-weight:600;margin:.25rem 0}
.error-summary{border:3px solid #b3093c;border-radius:8px;padding:1rem 1.25rem;margin:1.5rem 0}
.error-summary h2{margin:0 0 .5rem;padding:0;border:0;font-size:1.125rem}
.error-summary a{color:#b3093c;font-weight:600}
.error-summary ul{margin:0;padding-left:1.25rem}
button{font:inherit;font-weight:600;font-size:1.0625rem;color:#fff;background:#0a2540;border:0;border-radius:6px;padding:.875rem 1.5rem;min-height:2.75rem;cursor:pointer;width:100%}
@media (min-width:30rem){button{width:auto}}
button:hover{background:#1a3a5c}
a{color:#3b32cc}
:focus-visible{outline:3px solid #635bff;outline-offset:2px}
input:focus,select:focus{outline:3px solid #635bff;outline-offset:1px}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
`;
