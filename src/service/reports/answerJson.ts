// An answer (Reports.answer) written as JSON a piece at a time: whole, as its QueryResponse (answerJson), or a line per frame (answerLines).
import type { ApiError, Frame } from '../../model/api';
import { HeldFrames } from './frames';

/** A query's result as Reports.answer() holds it: a time series', a list's or a table's frames not yet built (HeldFrames). */
export type AnswerResult = { frames: Frame[] | HeldFrames } | (ApiError & { status: number });

export interface Answer {
  results: Record<string, AnswerResult>;
}

/**
 * An answer's JSON, as JSON.stringify of its QueryResponse writes it, in pieces: a time series a frame at a time, so
 * that neither the frames nor the whole string are ever held (an 82 MB answer was an 82 MB string, and as much again
 * in the buffer sent).
 */
export function* answerJson(answer: Answer): Generator<string> {
  yield* inChunks(answerPieces(answer));
}

/**
 * The media type of an answer a line per frame (answerLines), which a client asks for with `Accept`; any other client
 * gets answerJson's.
 */
export const ANSWER_LINES_TYPE = 'application/x-ndjson';

/**
 * An answer as lines of JSON (NDJSON), each a QueryResultLine: a refId and one frame of its result (a result of no frames,
 * one line of none; an error, its line), the lines of a result one after another, in the answer's order, then the line
 * `{"end":true}`, without which the answer was cut short. A client can turn each frame into what it needs and drop its
 * text: the plugin's backend held the whole answer's JSON, its text and its objects at once (~440 MB at the points budget).
 * The frames' JSON is answerJson's.
 */
export function* answerLines(answer: Answer): Generator<string> {
  yield* inChunks(linePieces(answer));
}

function* linePieces(answer: Answer): Generator<string> {
  for (const [refId, result] of Object.entries(answer.results)) {
    const start = `{"refId":${JSON.stringify(refId)},"frames":[`;
    if ('frames' in result) {
      const frames = result.frames instanceof HeldFrames ? result.frames.eachFrame() : result.frames.map((frame) => [JSON.stringify(frame)]);
      let none = true;
      for (const frame of frames) {
        none = false;
        yield start;
        yield* frame;
        yield ']}\n';
      }
      if (none) yield `${start}]}\n`;
    } else {
      yield `${JSON.stringify({ refId, ...result })}\n`;
    }
  }
  yield '{"end":true}\n';
}

/** Pieces of about 64 kB: a write per frame (~10 kB) made as many HTTP chunks, which cost the plugin ~25 MB more to read. */
function* inChunks(pieces: Iterable<string>): Generator<string> {
  let pending: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    pending.push(piece);
    size += piece.length;
    if (size >= 64 * 1024) {
      yield pending.join('');
      pending = [];
      size = 0;
    }
  }
  yield pending.join('');
}

function* answerPieces(answer: Answer): Generator<string> {
  yield '{"results":{';
  for (const [i, [refId, result]] of Object.entries(answer.results).entries()) {
    const key = `${i > 0 ? ',' : ''}${JSON.stringify(refId)}:`;
    if ('frames' in result && result.frames instanceof HeldFrames) {
      yield `${key}{"frames":[`;
      yield* result.frames.json();
      yield ']}';
    } else {
      yield key + JSON.stringify(result);
    }
  }
  yield '}}';
}
