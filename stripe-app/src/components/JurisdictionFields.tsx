import { jurisdictions } from '@exemptions/shared';
import { Box, Button, DateField, Select, TextField } from '@stripe/ui-extension-sdk/ui';
import type { JurisdictionDraft } from '../domain/certificateDraft';
import type { FieldErrors } from '../domain/certificateDraft';

export type JurisdictionFieldsProps = {
  index: number;
  jurisdiction: JurisdictionDraft;
  errors: FieldErrors;
  canRemove: boolean;
  onChange: (field: keyof JurisdictionDraft, value: string) => void;
  onRemove: () => void;
};

/** One jurisdiction of a certificate: where, its registration id, and the dates it is valid. */
export const JurisdictionFields = ({ index, jurisdiction, errors, canRemove, onChange, onRemove }: JurisdictionFieldsProps) => {
  const error = (field: keyof JurisdictionDraft) => errors[`jurisdictions.${index}.${field}`];
  return (
    <Box css={{ stack: 'y', gap: 'small', padding: 'small', keyline: 'neutral', borderRadius: 'small' }}>
      <Select label={`Jurisdiction ${index + 1}`} value={jurisdiction.code} error={error('code')} onChange={(event) => onChange('code', event.target.value)}>
        <option value="">Choose a state or territory</option>
        {jurisdictions.map((j) => (
          <option key={j.code} value={j.code}>
            {`${j.name} (${j.code})`}
          </option>
        ))}
      </Select>
      <TextField label="Registration id" value={jurisdiction.registrationId} error={error('registrationId')} onChange={(event) => onChange('registrationId', event.target.value)} />
      <DateField label="Effective date" value={jurisdiction.effectiveDate} error={error('effectiveDate')} onChange={(value) => onChange('effectiveDate', value)} />
      <DateField
        label="Expiration date"
        description="The last day it is valid. Leave empty if it is valid until revoked."
        value={jurisdiction.expirationDate}
        error={error('expirationDate')}
        onChange={(value) => onChange('expirationDate', value)}
      />
      {canRemove ? (
        <Button type="secondary" size="small" onPress={onRemove}>
          {`Remove jurisdiction ${index + 1}`}
        </Button>
      ) : null}
    </Box>
  );
};
