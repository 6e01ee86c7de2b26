// Text colours meet WCAG AA (4.5:1) on every surface they are drawn on, in
// both themes: the tokens in app.css are read and measured here.
import { describe, expect, it } from 'vitest';
import css from '../app.css?raw';

function tokens(selector: string): Record<string, string> {
  const start = css.indexOf(selector);
  const body = css.slice(css.indexOf('{', start) + 1, css.indexOf('}', start));
  return Object.fromEntries([...body.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\b/gi)].map((m) => [m[1], m[2]]));
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const light = tokens(':root {');
const dark = { ...light, ...tokens(":root[data-theme='dark'] {") };
const texts = ['text', 'text-muted', 'text-faint', 'accent', 'ok', 'warn', 'danger'];
const surfaces = ['surface', 'bg', 'surface-2', 'sidebar-bg', 'code-bg'];
// Badges and notices: a colour on its own soft background.
const pairs: [string, string][] = [
  ['ok', 'ok-soft'],
  ['warn', 'warn-soft'],
  ['danger', 'danger-soft'],
  ['accent', 'info-soft'],
  ['accent', 'accent-soft'],
  ['on-accent', 'accent'],
];

describe('contrast of the theme tokens', () => {
  it('reads both themes', () => {
    expect(light['text-faint']).toMatch(/^#/);
    expect(dark['text-faint']).not.toBe(light['text-faint']);
  });
  for (const [name, t] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it(`${name}: every text colour is at least 4.5:1 on every surface`, () => {
      const low: string[] = [];
      for (const fg of texts) for (const bg of surfaces) if (contrast(t[fg], t[bg]) < 4.5) low.push(`${fg} on ${bg}: ${contrast(t[fg], t[bg]).toFixed(2)}`);
      for (const [fg, bg] of pairs) if (contrast(t[fg], t[bg]) < 4.5) low.push(`${fg} on ${bg}: ${contrast(t[fg], t[bg]).toFixed(2)}`);
      expect(low).toEqual([]);
    });
  }
  it('the system-dark block matches the explicit dark one', () => {
    expect(tokens("@media (prefers-color-scheme: dark) {\n  :root:not([data-theme='light']) {")).toEqual(tokens(":root[data-theme='dark'] {"));
  });
});
