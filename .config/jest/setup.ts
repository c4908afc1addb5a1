// jsdom lacks a few browser APIs that Grafana UI relies on; these stand-ins are enough for rendering and events.
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'node:util';

Object.assign(globalThis, { TextEncoder, TextDecoder });

if (!window.matchMedia) {
  Object.defineProperty(window, 'matchMedia', {
    writable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }),
  });
}

class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
Object.assign(globalThis, {
  ResizeObserver: globalThis.ResizeObserver ?? NoopObserver,
  IntersectionObserver: globalThis.IntersectionObserver ?? NoopObserver,
});

Element.prototype.scrollIntoView = Element.prototype.scrollIntoView ?? function scrollIntoView() {};
// Combobox virtualises its list and floats it beside the input: give elements a size so options render.
Element.prototype.getBoundingClientRect = function getBoundingClientRect() {
  return { width: 300, height: 300, top: 0, left: 0, bottom: 300, right: 300, x: 0, y: 0, toJSON: () => ({}) } as DOMRect;
};

// Grafana UI measures text on a canvas to size inputs; jsdom has no canvas.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return { measureText: (text: string) => ({ width: text.length * 7 }), font: '' };
} as unknown as HTMLCanvasElement['getContext'];
// The list's virtualiser (@tanstack/virtual-core) sizes its window from clientWidth/clientHeight.
Object.defineProperties(HTMLElement.prototype, {
  clientHeight: { configurable: true, get: () => 300 },
  clientWidth: { configurable: true, get: () => 300 },
});

// Grafana UI's Icon fetches its SVG files over HTTP (react-inlinesvg); there is no Grafana server here, so draw
// an empty icon instead of failing the fetch after the test has ended.
jest.mock('react-inlinesvg', () => {
  const { createElement, forwardRef } = jest.requireActual<typeof import('react')>('react');
  const InlineSVG = forwardRef<SVGSVGElement, { title?: string; className?: string }>(({ title, className }, ref) =>
    createElement('svg', { ref, className, 'aria-hidden': title ? undefined : true }, title ? createElement('title', null, title) : null)
  );
  return { __esModule: true, default: InlineSVG, cacheStore: {} };
});
