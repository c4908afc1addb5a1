// The classic CloudTrail "Common Searches" as one-click presets. Each fills the Events query below it, so the
// result can be refined with the ordinary controls afterwards.
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Button, Input, Stack } from '@grafana/ui';
import { useEffect, useId, useState } from 'react';
import { COMMON_SEARCHES, type CommonSearch, type CommonSearchInputs } from '../../model/commonSearches';
import { filterValues } from '../../model/query';
import { applyCommonSearch } from '../presets';
import type { Query } from '../types';
import { FilterField } from './FilterField';
import type { LoadValues } from './useValueLookup';

interface Props {
  query: Query;
  onChange: (query: Query) => void;
  loadValues: LoadValues;
}

function inputsOf(resourceId?: string, users?: string | string[], ips?: string | string[]): CommonSearchInputs {
  return { instanceId: resourceId ?? '', users: filterValues(users), ips: filterValues(ips) };
}

export function CommonSearches({ query, onChange, loadValues }: Props) {
  const id = useId();
  // Follow what the query asks for (also when the filters below change it), so "Apply" never brings back people or
  // addresses the user has since replaced.
  const { resourceId } = query;
  const { user, sourceIp } = query.filters ?? {};
  const [inputs, setInputs] = useState(() => inputsOf(resourceId, user, sourceIp));
  useEffect(() => setInputs(inputsOf(resourceId, user, sourceIp)), [resourceId, user, sourceIp]);
  const apply = (search: CommonSearch) => onChange(applyCommonSearch(query, search, inputs));

  const inputFor = (search: CommonSearch) => {
    switch (search.input) {
      case 'instanceId':
        return (
          <Input
            id={`${id}-${search.id}`}
            aria-label="Instance ID"
            width={22}
            placeholder="Instance ID, e.g. i-0abc…"
            value={inputs.instanceId ?? ''}
            onChange={(e) => setInputs({ ...inputs, instanceId: e.currentTarget.value })}
            onKeyDown={(e) => e.key === 'Enter' && apply(search)}
          />
        );
      case 'users':
        return (
          <FilterField
            id={`${id}-${search.id}`}
            dimension="user"
            minWidth={20}
            placeholder="Users"
            values={inputs.users}
            loadValues={loadValues}
            onChange={(users) => setInputs({ ...inputs, users })}
          />
        );
      case 'ips':
        return (
          <FilterField
            id={`${id}-${search.id}`}
            dimension="sourceIp"
            minWidth={20}
            placeholder="IP addresses"
            values={inputs.ips}
            loadValues={loadValues}
            onChange={(ips) => setInputs({ ...inputs, ips })}
          />
        );
      default:
        return null;
    }
  };

  return (
    <EditorRow>
      <EditorFieldGroup>
        {COMMON_SEARCHES.map((search) => (
          <EditorField key={search.id} label={search.label} tooltip={search.description} htmlFor={search.input === 'none' ? undefined : `${id}-${search.id}`}>
            <Stack direction="row" gap={1} alignItems="center">
              {inputFor(search)}
              <Button
                size="md"
                variant="secondary"
                icon="search"
                aria-label={`Apply: ${search.label}`}
                onClick={() => apply(search)}
              >
                Apply
              </Button>
            </Stack>
          </EditorField>
        ))}
      </EditorFieldGroup>
    </EditorRow>
  );
}
