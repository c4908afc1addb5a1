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
// an empty icon instead of failing the fetch after the test has ended. Its event handlers and tabIndex stay, so a
// tooltip on an icon (an editor field's info icon) opens on hover as in Grafana.
jest.mock('react-inlinesvg', () => {
  const { createElement, forwardRef } = jest.requireActual<typeof import('react')>('react');
  type Props = { title?: string; className?: string; innerRef?: unknown } & Record<string, unknown>;
  const InlineSVG = forwardRef<SVGSVGElement, Props>(({ title, className, innerRef, ...rest }, ref) => {
    const handlers = Object.fromEntries(Object.entries(rest).filter(([key]) => /^on[A-Z]/.test(key) || key === 'tabIndex'));
    // Icon hands its ref (a tooltip's anchor) on as innerRef.
    return createElement(
      'svg',
      { ref: innerRef ?? ref, className, 'aria-hidden': title ? undefined : true, ...handlers },
      title ? createElement('title', null, title) : null
    );
  });
  return { __esModule: true, default: InlineSVG, cacheStore: {} };
});
