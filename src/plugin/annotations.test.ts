// Annotations: event-list frames become marks saying who did what from where.
import { FieldType, createDataFrame, textUtil } from '@grafana/data';
import { lastValueFrom } from 'rxjs';
import { annotationQuery, annotationSupport, framesToAnnotations } from './annotations';

// Shaped as the service's event list (src/service/reports: listFrame).
const frame = createDataFrame({
  name: 'events',
  fields: [
    { name: 'time', type: FieldType.time, values: [1_700_000_000_000, 1_700_000_060_000, null] },
    { name: 'user', type: FieldType.string, values: ['mallory', 'admin', 'x'] },
    { name: 'source IP', type: FieldType.string, values: ['203.0.113.7', null, 'x'] },
    { name: 'event name', type: FieldType.string, values: ['ConsoleLogin', 'StopLogging', 'x'] },
    { name: 'service', type: FieldType.string, values: ['signin', 'cloudtrail', 'x'] },
    { name: 'error code', type: FieldType.string, values: ['Failed authentication', null, null] },
  ],
});

describe('annotations', () => {
  it('maps time to time and composes the text from event name, user, source IP and error', () => {
    expect(framesToAnnotations([frame])).toEqual([
      { time: 1_700_000_000_000, text: 'ConsoleLogin by mallory from 203.0.113.7 (Failed authentication)', tags: ['ConsoleLogin', 'error'] },
      { time: 1_700_000_060_000, text: 'StopLogging by admin', tags: ['StopLogging'] },
    ]);
  });

  it('shows event fields as text where Grafana renders the text as (sanitised) HTML', () => {
    const link = '<a href="https://phish.example/reset">your session expired: sign in again</a>';
    const hostile = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [1_700_000_000_000] },
        { name: 'user', type: FieldType.string, values: [link] },
        { name: 'source IP', type: FieldType.string, values: ['<img src="https://track.example/seen.gif">'] },
        { name: 'event name', type: FieldType.string, values: ['<b style="position:fixed;inset:0">Get</b>'] },
        { name: 'error code', type: FieldType.string, values: ['A & B'] },
      ],
    });
    const [event] = framesToAnnotations([hostile]);
    const shown = document.createElement('div');
    shown.innerHTML = textUtil.sanitize(event.text!);
    expect(shown.children).toHaveLength(0);
    expect(shown.textContent).toBe(`<b style="position:fixed;inset:0">Get</b> by ${link} from <img src="https://track.example/seen.gif"> (A & B)`);
    // Tags are shown as text: they stay as the event says.
    expect(event.tags).toEqual(['<b style="position:fixed;inset:0">Get</b>', 'error']);
  });

  it('skips frames without a time field', () => {
    const noTime = createDataFrame({ fields: [{ name: 'events', type: FieldType.number, values: [3] }] });
    expect(framesToAnnotations([noTime])).toEqual([]);
  });

  it('always asks for an event list, keeping the filters', () => {
    const target = { refId: 'Anno', format: 'timeseries' as const, filters: { eventName: ['StopLogging', 'DeleteTrail'] } };
    expect(annotationQuery(target)).toEqual({ refId: 'Anno', queryType: 'events', format: 'list', filters: { eventName: ['StopLogging', 'DeleteTrail'] } });
    expect(annotationSupport.prepareQuery!({ name: 'a', enable: true, iconColor: 'red', target })).toEqual({
      refId: 'Anno',
      queryType: 'events',
      format: 'list',
      filters: { eventName: ['StopLogging', 'DeleteTrail'] },
    });
    expect(annotationQuery(undefined)).toBeUndefined();
  });

  it('gives an annotation without a query a runnable one', () => {
    const prepared = annotationSupport.prepareAnnotation!({ name: 'Trail changes', enable: true, iconColor: 'red' });
    expect(prepared.target).toEqual({ refId: 'Anno', queryType: 'events', format: 'list', limit: 100 });
    const kept = { name: 'x', enable: true, iconColor: 'red', target: { refId: 'A', status: 'unauthorized' as const } };
    expect(annotationSupport.prepareAnnotation!(kept)).toBe(kept);
  });

  it('processes frames into events', async () => {
    const events = await lastValueFrom(annotationSupport.processEvents!({ name: 'a', enable: true, iconColor: 'red' }, [frame]));
    expect(events).toHaveLength(2);
  });
});
