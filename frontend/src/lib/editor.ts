// CodeMirror 6 set-up shared by the sources and mapping editors: line
// numbers, problems at their lines (gutter marker, underline, the message at
// the end of the line), and highlighting of Go template actions.

import { EditorState, RangeSetBuilder, StateEffect, StateField, type Extension } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  MatchDecorator,
  ViewPlugin,
  WidgetType,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  placeholder as placeholderExt,
  type DecorationSet,
  type ViewUpdate,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { autocompletion, completionKeymap, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import type { LineProblem } from './types';
import { completionsAt } from './model/template';

/** Diagnostics for problems given by line and column (both from 1; column 0 or missing = whole line). */
export function diagnosticsFor(state: EditorState, problems: readonly LineProblem[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const doc = state.doc;
  for (const p of problems) {
    const n = Math.max(1, Math.min(p.line || 1, doc.lines));
    const line = doc.line(n);
    let from = line.from;
    if (p.column && p.column > 1) from = Math.min(line.to, line.from + p.column - 1);
    let to = line.to;
    if (from === to && to > line.from) from = line.from;
    out.push({ from, to, severity: p.severity === 'warning' ? 'warning' : 'error', message: p.message });
  }
  return out;
}

class MessageWidget extends WidgetType {
  constructor(
    readonly text: string,
    readonly severity: string,
  ) {
    super();
  }
  eq(other: MessageWidget) {
    return other.text === this.text && other.severity === this.severity;
  }
  toDOM() {
    const span = document.createElement('span');
    span.className = `cm-inline-problem cm-inline-${this.severity}`;
    span.textContent = this.text;
    return span;
  }
  ignoreEvent() {
    return true;
  }
}

/** Sets the problems shown inline; the lint extension draws gutter and underline. */
export const setInlineProblems = StateEffect.define<LineProblem[]>();

const inlineProblems = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setInlineProblems)) continue;
      const doc = tr.state.doc;
      const byLine = new Map<number, LineProblem[]>();
      for (const p of e.value) {
        const n = Math.max(1, Math.min(p.line || 1, doc.lines));
        byLine.set(n, [...(byLine.get(n) ?? []), p]);
      }
      const b = new RangeSetBuilder<Decoration>();
      for (const n of [...byLine.keys()].sort((a, c) => a - c)) {
        const list = byLine.get(n)!;
        const line = doc.line(n);
        const sev = list.some((p) => p.severity !== 'warning') ? 'error' : 'warning';
        b.add(line.from, line.from, Decoration.line({ class: `cm-problem-line cm-problem-${sev}`, attributes: { 'data-problem-line': String(n) } }));
        const text = list.map((p) => p.message).join(' · ');
        b.add(line.to, line.to, Decoration.widget({ widget: new MessageWidget(text, sev), side: 1 }));
      }
      deco = b.finish();
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Shows problems: gutter markers and underlines (lint) plus the message at the line. */
export function showProblems(view: EditorView, problems: readonly LineProblem[]): void {
  view.dispatch(setDiagnostics(view.state, diagnosticsFor(view.state, problems)), {
    effects: setInlineProblems.of([...problems]),
  });
}

// {{ ... }} actions of Go templates; comments {{/* */}} apart.
const actionMatcher = new MatchDecorator({
  regexp: /\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}|\{\{[\s\S]*?\}\}/g,
  decoration: (m) => Decoration.mark({ class: m[0].includes('/*') ? 'cm-tpl-comment' : 'cm-tpl-action' }),
});
const stringMatcher = new MatchDecorator({
  regexp: /"(?:[^"\\\n]|\\.)*"|`[^`]*`/g,
  decoration: Decoration.mark({ class: 'cm-tpl-string' }),
});

function matcherPlugin(m: MatchDecorator) {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = m.createDeco(view);
      }
      update(u: ViewUpdate) {
        this.decorations = m.updateDeco(u, this.decorations);
      }
    },
    { decorations: (v) => v.decorations },
  );
}

/** Go template highlighting: actions, strings inside them, comments. */
export const templateHighlight: Extension = [matcherPlugin(actionMatcher), matcherPlugin(stringMatcher)];

// Comment lines (# ...) of sources lists and CSV rules.
const commentMatcher = new MatchDecorator({
  regexp: /^\s*#.*$/gm,
  decoration: Decoration.mark({ class: 'cm-line-comment' }),
});
export const commentHighlight: Extension = matcherPlugin(commentMatcher);

const theme = EditorView.theme({
  '&': {
    height: '100%',
    fontSize: 'var(--text-sm)',
    backgroundColor: 'var(--code-bg)',
    color: 'var(--text)',
  },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '20px' },
  '.cm-content': { caretColor: 'var(--text)', padding: '6px 0' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': {
    backgroundColor: 'var(--surface-2)',
    color: 'var(--text-faint)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-lineNumbers .cm-gutterElement': { minWidth: '32px', padding: '0 6px 0 4px' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent) 5%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 10%, transparent)', color: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'var(--selection) !important' },
  '.cm-problem-error': { backgroundColor: 'color-mix(in srgb, var(--danger) 9%, transparent)' },
  '.cm-problem-warning': { backgroundColor: 'color-mix(in srgb, var(--warn) 10%, transparent)' },
  '.cm-inline-problem': {
    marginLeft: '16px',
    fontFamily: 'var(--font-ui)',
    fontSize: 'var(--text-xs)',
    padding: '0 6px',
    borderRadius: '3px',
  },
  '.cm-inline-error': { color: 'var(--danger)', backgroundColor: 'var(--danger-soft)' },
  '.cm-inline-warning': { color: 'var(--warn)', backgroundColor: 'var(--warn-soft)' },
  '.cm-lintRange-error': {
    backgroundImage: 'none',
    textDecoration: 'underline wavy var(--danger)',
    textDecorationSkipInk: 'none',
    textUnderlineOffset: '3px',
  },
  '.cm-lintRange-warning': {
    backgroundImage: 'none',
    textDecoration: 'underline wavy var(--warn)',
    textDecorationSkipInk: 'none',
    textUnderlineOffset: '3px',
  },
  '.cm-gutter-lint': { width: '14px' },
  '.cm-gutter-lint .cm-gutterElement': { padding: '0 1px' },
  '.cm-lint-marker': { width: '11px', height: '11px', marginTop: '4px' },
  '.cm-tooltip': {
    backgroundColor: 'var(--surface)',
    color: 'var(--text)',
    border: '1px solid var(--border-strong)',
    borderRadius: 'var(--radius-sm)',
    fontFamily: 'var(--font-ui)',
  },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent-soft)', color: 'var(--text)' },
  '.cm-completionDetail': { color: 'var(--text-muted)', fontStyle: 'normal', marginLeft: '8px' },
  '.cm-tpl-action': { color: 'var(--accent)', backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)', borderRadius: '2px' },
  '.cm-tpl-action .cm-tpl-string, .cm-tpl-string .cm-tpl-action': { color: 'var(--ok)' },
  '.cm-tpl-comment': { color: 'var(--text-faint)', fontStyle: 'italic' },
  '.cm-line-comment': { color: 'var(--text-faint)' },
  '.cm-placeholder': { color: 'var(--text-faint)' },
});

/** Completion of a Go template's fields and functions inside {{ }}. */
export function templateCompletion(ctx: CompletionContext): CompletionResult | null {
  const r = completionsAt(ctx.state.doc.toString(), ctx.pos);
  if (!r) return null;
  // Offered as one types after a dot or a space in an action; Ctrl+Space asks anywhere in one.
  if (!ctx.explicit && r.from === ctx.pos && !/[.\s"(]$/.test(ctx.state.sliceDoc(Math.max(0, ctx.pos - 1), ctx.pos))) return null;
  return { from: r.from, options: r.options, validFor: /^[\w.-]*$/ };
}

export interface EditorOptions {
  doc: string;
  label: string;
  language?: 'plain' | 'template';
  placeholder?: string;
  /** The id of the element that says how to leave the editor with the keyboard. */
  describedBy?: string;
  onchange: (text: string) => void;
  onsave?: () => void;
  onsubmit?: () => void;
}

export function createEditor(parent: HTMLElement, o: EditorOptions): EditorView {
  const keys = keymap.of([
    { key: 'Mod-s', preventDefault: true, run: () => (o.onsave?.(), true) },
    { key: 'Mod-Enter', preventDefault: true, run: () => (o.onsubmit ? (o.onsubmit(), true) : false) },
  ]);
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: o.doc,
      extensions: [
        keys,
        lineNumbers(),
        lintGutter(),
        highlightActiveLine(),
        highlightActiveLineGutter(),
        history(),
        o.language === 'template' ? autocompletion({ override: [templateCompletion], icons: false }) : [],
        keymap.of([...(o.language === 'template' ? completionKeymap : []), ...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.lineWrapping,
        inlineProblems,
        o.language === 'template' ? templateHighlight : commentHighlight,
        o.placeholder ? placeholderExt(o.placeholder) : [],
        theme,
        EditorView.contentAttributes.of({
          'aria-label': o.label,
          ...(o.describedBy ? { 'aria-describedby': o.describedBy } : {}),
          spellcheck: 'false',
          autocapitalize: 'off',
          autocorrect: 'off',
        }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) o.onchange(u.state.doc.toString());
        }),
      ],
    }),
  });
}

/** Puts the caret at a line (and column) and scrolls it into view. */
export function goToLine(view: EditorView, line: number, column = 1): void {
  const doc = view.state.doc;
  const l = doc.line(Math.max(1, Math.min(line, doc.lines)));
  const pos = Math.min(l.to, l.from + Math.max(0, (column || 1) - 1));
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}

/** Replaces the document when the text changed outside the editor. */
export function syncDoc(view: EditorView, text: string): void {
  const cur = view.state.doc.toString();
  if (cur === text) return;
  // Keep the caret near where it was.
  const head = Math.min(view.state.selection.main.head, text.length);
  view.dispatch({ changes: { from: 0, to: cur.length, insert: text }, selection: { anchor: head } });
}

/** Puts text at the caret (replacing a selection) and gives the editor the focus. */
export function insertAtCaret(view: EditorView, text: string): void {
  const { from, to } = view.state.selection.main;
  view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length }, scrollIntoView: true });
  view.focus();
}
