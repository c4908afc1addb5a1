// What narrows the events, shared by the Events and Summary totals views and the annotation editor: status,
// read/write, MFA, AWS service calls, resource id, the multi-value filters and what is left out.
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { useId } from 'react';
import { DEFAULT_QUERY, FILTER_KEYS, filterValues, type FilterKey } from '../../model/query';
import type { Query } from '../types';
import { BlurInput } from './BlurInput';
import { ChoiceField } from './ChoiceField';
import { ExclusionsEditor } from './ExclusionsEditor';
import { FilterField } from './FilterField';
import {
  FILTER_LABELS, FILTER_TOOLTIPS, MFA_OPTIONS, MFA_TOOLTIP, READ_ONLY, SERVICE_CALLS_OPTIONS, SERVICE_CALLS_TOOLTIP, STATUS_TOOLTIP, STATUSES,
} from './labels';
import type { LoadValues } from './useValueLookup';

interface Props {
  query: Query;
  onChange: (query: Query) => void;
  loadValues: LoadValues;
}

export function FiltersEditor({ query, onChange, loadValues }: Props) {
  const id = useId();
  const setFilter = (key: FilterKey, values: string[]) => {
    const filters = { ...query.filters };
    if (values.length > 0) {
      filters[key] = values;
    } else {
      delete filters[key];
    }
    onChange({ ...query, filters });
  };
  return (
    <>
      <EditorRow>
        <EditorFieldGroup>
          <ChoiceField
            id={`${id}-status`}
            label="Status"
            tooltip={STATUS_TOOLTIP}
            options={STATUSES}
            value={query.status ?? DEFAULT_QUERY.status}
            onChange={(status) => onChange({ ...query, status })}
          />
          <ChoiceField
            id={`${id}-read-only`}
            label="Read-only"
            tooltip="Describe, List and Get calls are read-only"
            options={READ_ONLY}
            value={query.readOnly ?? DEFAULT_QUERY.readOnly}
            onChange={(readOnly) => onChange({ ...query, readOnly })}
          />
          <ChoiceField
            id={`${id}-mfa`}
            label="MFA"
            tooltip={MFA_TOOLTIP}
            options={MFA_OPTIONS}
            value={query.mfa ?? DEFAULT_QUERY.mfa}
            onChange={(mfa) => onChange({ ...query, mfa })}
          />
          <ChoiceField
            id={`${id}-service-calls`}
            label="AWS service calls"
            tooltip={SERVICE_CALLS_TOOLTIP}
            options={SERVICE_CALLS_OPTIONS}
            value={query.serviceCalls ?? DEFAULT_QUERY.serviceCalls}
            onChange={(serviceCalls) => onChange({ ...query, serviceCalls })}
          />
          <EditorField label="Resource ID" optional tooltip="An instance id, bucket name, role name or ARN" htmlFor={`${id}-resource`}>
            <BlurInput
              id={`${id}-resource`}
              width={40}
              placeholder="i-0abc…, my-bucket, arn:aws:…"
              value={query.resourceId ?? ''}
              onCommit={(text) => {
                // Spaces alone change nothing, so they neither store an empty id nor run the query.
                const resourceId = text.trim();
                if (resourceId !== (query.resourceId ?? '')) {
                  onChange({ ...query, resourceId });
                }
              }}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>
      <EditorRow>
        <EditorFieldGroup>
          {FILTER_KEYS.map((key) => (
            <EditorField key={key} label={FILTER_LABELS[key]} tooltip={FILTER_TOOLTIPS[key]} optional htmlFor={`${id}-filter-${key}`}>
              <FilterField
                id={`${id}-filter-${key}`}
                dimension={key}
                minWidth={20}
                values={filterValues(query.filters?.[key])}
                loadValues={loadValues}
                onChange={(values) => setFilter(key, values)}
              />
            </EditorField>
          ))}
        </EditorFieldGroup>
      </EditorRow>
      <ExclusionsEditor id={id} query={query} onChange={onChange} loadValues={loadValues} />
    </>
  );
}
