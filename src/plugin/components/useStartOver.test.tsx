// The query editor under hosts that do not pass back the very query they were sent, at once: Grafana's alerting
// rebuilds the query it keeps (a copy, with its intervalMs and maxDataPoints, keys sorted by a JSON round trip through
// Go), and a host may pass it back a render late. None of these is a replacement: a Leave out field just added stays.
// A query that does differ is still one, and starts the filters over.
import { setTemplateSrv } from '@grafana/runtime';
import { act, render, renderHook, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useState } from 'react';
import { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { RANGE } from '../testing/renderQueryEditor';
import { instanceSettings } from '../testing/settings';
import type { Query } from '../types';
import { QueryEditor } from './QueryEditor';
import { shownOf, useStartOver } from './useStartOver';

beforeEach(() => {
  setTemplateSrv(fakeTemplateSrv({}));
  jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'alice', count: 3 }] });
});

afterEach(() => jest.restoreAllMocks());

const radio = (group: string, option: string) => within(screen.getByRole('radiogroup', { name: group })).getByRole('radio', { name: option });
const exclusionFields = () => [...document.querySelectorAll('label[for*="-exclude-"]:not([for$="-exclude-add"])')].map((l) => l.textContent);

/** A value with its objects' keys sorted, as Go's encoding/json writes a map. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]));
}

/**
 * The editor in a host that turns each query it is sent into `rebuild(query)`, and passes it back at once, or only when
 * the test calls passBack (oldest first), re-rendering the query it holds meanwhile.
 */
function renderInHost(rebuild: (query: Query) => Query, late = false) {
  const datasource = new DataSource(instanceSettings());
  const queue: Query[] = [];
  let setHeld: (query: Query) => void = () => {};
  function Host() {
    const [held, setState] = useState<Query>({ refId: 'A' });
    useEffect(() => {
      setHeld = setState;
    }, []);
    const onChange = (next: Query) => (late ? queue.push(rebuild(next)) : setState(rebuild(next)));
    return <QueryEditor query={held} datasource={datasource} range={RANGE} onRunQuery={() => {}} onChange={onChange} />;
  }
  render(<Host />);
  return {
    passBack: () => act(() => setHeld(queue.shift()!)),
    replace: (query: Query) => act(() => setHeld(query)),
  };
}

async function addUserExclusion(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
  await user.click(await screen.findByRole('option', { name: 'User' }));
  expect(exclusionFields()).toEqual(['User is not']);
}

describe('useStartOver', () => {
  it("keeps a Leave out field through the editor's own changes when the host passes back a rebuilt copy, keys sorted, with its own fields", async () => {
    const user = userEvent.setup();
    const alerting = (query: Query) =>
      sortedKeys(JSON.parse(JSON.stringify({
        ...query, datasource: { type: 'trailhound-cloudtrail-datasource', uid: 'th' }, intervalMs: 1000, maxDataPoints: 43200,
      })));
    const { replace } = renderInHost((query) => alerting(query) as Query);
    await addUserExclusion(user);
    await user.click(radio('Status', 'Error'));
    await user.click(radio('Format', 'Table'));
    expect(exclusionFields()).toEqual(['User is not']);
    expect(radio('Status', 'Error')).toBeChecked();
    // Replaced with another query, rebuilt alike: the filters start over.
    replace(alerting({ refId: 'A', status: 'unauthorized' }) as Query);
    expect(exclusionFields()).toEqual([]);
    expect(radio('Status', 'Unauthorized')).toBeChecked();
  });

  it('keeps it when the host passes the changes back late, one by one, and starts over on a query the editor did not send', async () => {
    const user = userEvent.setup();
    const { passBack, replace } = renderInHost((query) => query, true);
    await addUserExclusion(user);
    // Sent, not passed back yet: the editor renders the query it had.
    await user.click(radio('Status', 'Error'));
    expect(exclusionFields()).toEqual(['User is not']);
    passBack();
    expect(radio('Status', 'Error')).toBeChecked();
    // Two changes ahead of the host, passed back in their order.
    await user.click(radio('Read-only', 'Write'));
    await user.click(radio('MFA', 'Not used'));
    passBack();
    expect(exclusionFields()).toEqual(['User is not']);
    passBack();
    expect(exclusionFields()).toEqual(['User is not']);
    // A query from outside while a change is on its way: it starts over.
    await user.click(radio('Status', 'Success'));
    replace({ refId: 'A', exclude: { sourceIp: ['203.0.113.7'] } });
    expect(exclusionFields()).toEqual(['IP address is not']);
  });
});

test('a query shows the same whatever else the host keeps on it, its keys in any order, and empty lists or objects as none', () => {
  const query: Query = { refId: 'A', status: 'error', filters: { user: ['alice'], region: ['us-east-1'] } };
  const rebuilt = {
    filters: { region: ['us-east-1'], user: ['alice'], account: [] }, exclude: {}, hide: false, key: 'Q-1', refId: 'B', status: 'error',
  } as Query;
  expect(shownOf(rebuilt)).toBe(shownOf(query));
  // The values' order is what the editor shows, and a changed value is another query.
  expect(shownOf({ ...query, filters: { user: ['alice'], region: ['eu-west-1'] } })).not.toBe(shownOf(query));
  expect(shownOf({ ...query, filters: { user: ['alice', 'bob'] } })).not.toBe(shownOf({ ...query, filters: { user: ['bob', 'alice'] } }));
});

test("a change back to the query the host passed, sent while an earlier change is on its way, is the editor's own too", () => {
  // A host a render late: the editor sends a change, then one back to the query it shows, before the host passes the
  // first back. The host then passes both, in their order: neither is a replacement.
  const sent: Query[] = [];
  const given: Query = { refId: 'A', status: 'error' };
  const { result, rerender } = renderHook(({ query }) => useStartOver(query, (next) => sent.push(next)), { initialProps: { query: given } });
  act(() => result.current.change({ ...given, status: 'all' }));
  act(() => result.current.change({ ...given }));
  rerender({ query: sent[0] });
  rerender({ query: sent[1] });
  expect(result.current.key).toBe(0);
  // A query the editor did not send still starts over.
  rerender({ query: { refId: 'A', status: 'unauthorized' } });
  expect(result.current.key).toBe(1);
});
