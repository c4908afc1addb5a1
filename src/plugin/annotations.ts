// Annotations: matching events (e.g. failed console logins, StopLogging, DeleteTrail) as marks on time series,
// each saying who did what from where. Their editor offers only what chooses the events.
import { FieldType, textUtil, type AnnotationEvent, type AnnotationQuery, type AnnotationSupport, type DataFrame, type Field } from '@grafana/data';
import { of } from 'rxjs';
import { AnnotationQueryEditor } from './components/AnnotationQueryEditor';
import type { Query } from './types';

/** An annotation is always an event list: one mark per event. */
export function annotationQuery(target: Query | undefined): Query | undefined {
  if (!target) {
    return undefined;
  }
  return { ...target, queryType: 'events', format: 'list' };
}

// The list frame's columns, as the service names them (src/service/reports: listFrame).
function findField(frame: DataFrame, ...names: string[]): Field | undefined {
  const wanted = names.map((n) => n.toLowerCase());
  return frame.fields.find((f) => wanted.includes(f.name.toLowerCase()));
}

/**
 * Maps event-list frames to annotation events: time → time, text from event name, user, source IP and error. Grafana
 * shows an annotation's text as HTML (sanitised, but links, images and styles stay): each value from an event is
 * escaped, as a log file can say anything in it.
 */
export function framesToAnnotations(frames: DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    const time = frame.fields.find((f) => f.type === FieldType.time) ?? findField(frame, 'time');
    if (!time) {
      continue;
    }
    const user = findField(frame, 'user');
    const ip = findField(frame, 'source IP', 'sourceIp');
    const eventName = findField(frame, 'event name', 'eventName');
    const errorCode = findField(frame, 'error code', 'errorCode');
    for (let i = 0; i < frame.length; i++) {
      const at = time.values[i];
      if (at === null || at === undefined) {
        continue;
      }
      const name = eventName?.values[i] ?? 'event';
      const who = user?.values[i] ?? 'unknown user';
      const from = ip?.values[i];
      const error = errorCode?.values[i];
      let text = `${textUtil.escapeHtml(name)} by ${textUtil.escapeHtml(who)}`;
      if (from) {
        text += ` from ${textUtil.escapeHtml(from)}`;
      }
      if (error) {
        text += ` (${textUtil.escapeHtml(error)})`;
      }
      events.push({
        time: typeof at === 'number' ? at : new Date(at).valueOf(),
        text,
        tags: [name, error ? 'error' : undefined].filter((t): t is string => Boolean(t)),
      });
    }
  }
  return events;
}

/** A new annotation: the latest 100 matching events. */
const DEFAULT_ANNOTATION_QUERY = { queryType: 'events', format: 'list', limit: 100 } as const;

export const annotationSupport: AnnotationSupport<Query> = {
  QueryEditor: AnnotationQueryEditor,
  getDefaultQuery: () => ({ ...DEFAULT_ANNOTATION_QUERY }),
  // Dashboards saved before a target existed still get a runnable query.
  prepareAnnotation(json: AnnotationQuery<Query>): AnnotationQuery<Query> {
    if (json.target) {
      return json;
    }
    return { ...json, target: { refId: 'Anno', ...DEFAULT_ANNOTATION_QUERY } };
  },
  prepareQuery: (anno) => annotationQuery(anno.target),
  processEvents: (_anno, frames) => of(framesToAnnotations(frames)),
};
