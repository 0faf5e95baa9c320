import { certificateForms, exemptionReasons } from '@exemptions/shared';
import type { CertificateForm as CertificateFormCode, ExemptionReason } from '@exemptions/shared';
import { Banner, Box, Button, FormFieldGroup, Select, TextArea, TextField } from '@stripe/ui-extension-sdk/ui';
import type { CertificateEditor } from '../hooks/useCertificateEditor';
import { formLabel, reasonLabel } from '../domain/labels';
import { JurisdictionFields } from './JurisdictionFields';

/** The certificate form: details, jurisdictions and notes, each field with its own error. */
export const CertificateForm = ({ editor }: { editor: CertificateEditor }) => {
  const { draft, errors } = editor;
  const listError = errors.jurisdictions;
  const formError = errors[''];
  return (
    <Box css={{ stack: 'y', gap: 'large' }}>
      {formError === undefined ? null : <Banner type="critical" title="This certificate cannot be saved yet" description={formError} />}
      <FormFieldGroup legend="Certificate details" layout="vertical">
        <Select label="Exemption reason" value={draft.reason} error={errors.reason} onChange={(event) => editor.setField('reason', event.target.value)}>
          {exemptionReasons.map((reason: ExemptionReason) => (
            <option key={reason} value={reason}>
              {reasonLabel(reason, null)}
            </option>
          ))}
        </Select>
        {draft.reason === 'other' ? (
          <TextField label="Explain the exemption" value={draft.reasonOther} error={errors.reasonOther} onChange={(event) => editor.setField('reasonOther', event.target.value)} />
        ) : null}
        <Select label="Certificate form" value={draft.form} error={errors.form} onChange={(event) => editor.setField('form', event.target.value)}>
          {certificateForms.map((form: CertificateFormCode) => (
            <option key={form} value={form}>
              {formLabel(form)}
            </option>
          ))}
        </Select>
        <TextField label="Certificate or permit number" value={draft.number} error={errors.number} onChange={(event) => editor.setField('number', event.target.value)} />
        <Select
          label="Applies to"
          value={draft.purchaseType}
          error={errors.purchase}
          onChange={(event) => editor.setField('purchaseType', event.target.value === 'single_purchase' ? 'single_purchase' : 'blanket')}
        >
          <option value="blanket">Every purchase (blanket)</option>
          <option value="single_purchase">One purchase</option>
        </Select>
        {draft.purchaseType === 'single_purchase' ? (
          <>
            <TextField label="Invoice number" value={draft.invoiceNumber} error={errors['purchase.invoiceNumber']} onChange={(event) => editor.setField('invoiceNumber', event.target.value)} />
            <TextField label="Purchase-order number" value={draft.poNumber} error={errors['purchase.poNumber']} onChange={(event) => editor.setField('poNumber', event.target.value)} />
          </>
        ) : null}
      </FormFieldGroup>
      <FormFieldGroup legend="Jurisdictions" description={listError} layout="vertical">
        {draft.jurisdictions.map((jurisdiction, index) => (
          <JurisdictionFields
            key={index}
            index={index}
            jurisdiction={jurisdiction}
            errors={errors}
            canRemove={draft.jurisdictions.length > 1}
            onChange={(field, value) => editor.setJurisdiction(index, field, value)}
            onRemove={() => editor.removeJurisdiction(index)}
          />
        ))}
        <Button type="secondary" size="small" onPress={editor.addJurisdiction}>
          Add jurisdiction
        </Button>
      </FormFieldGroup>
      <TextArea label="Notes" value={draft.notes} error={errors.notes} rows={4} onChange={(event) => editor.setField('notes', event.target.value)} />
    </Box>
  );
};
