// The small CSV dialect of sources lists and mapping rules: comma-separated,
// double quotes around a field that holds a comma or a quote ("" for a quote).

/** Splits one CSV line into its fields, quotes removed. */
export function splitCSV(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  out.push(field);
  return out;
}

/** Quotes a field only when it needs it. */
export function quoteCSV(field: string): string {
  return /[",]|^\s|\s$/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

export function joinCSV(fields: readonly string[]): string {
  return fields.map(quoteCSV).join(',');
}

/** True for a line that carries no data: blank, or a # comment. */
export function isNoise(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/** The text's lines; a trailing newline does not make an extra line. */
export function linesOf(text: string): string[] {
  return text.split('\n');
}

/** Replaces line n (1-based) of text. */
export function replaceLine(text: string, n: number, content: string): string {
  const lines = linesOf(text);
  if (n < 1 || n > lines.length) return text;
  lines[n - 1] = content;
  return lines.join('\n');
}

/** Removes line n (1-based). */
export function removeLine(text: string, n: number): string {
  const lines = linesOf(text);
  if (n < 1 || n > lines.length) return text;
  lines.splice(n - 1, 1);
  return lines.join('\n');
}

/**
 * Appends a line, reusing a final empty line when the text ends with a
 * newline. Returns the new text and the appended line's number.
 */
export function appendLine(text: string, content: string): { text: string; line: number } {
  if (text === '') return { text: content + '\n', line: 1 };
  const lines = linesOf(text);
  if (lines[lines.length - 1] === '') {
    lines[lines.length - 1] = content;
    lines.push('');
    return { text: lines.join('\n'), line: lines.length - 1 };
  }
  lines.push(content);
  return { text: lines.join('\n') + '\n', line: lines.length };
}

/** Swaps lines a and b (1-based). */
export function swapLines(text: string, a: number, b: number): string {
  const lines = linesOf(text);
  if (a < 1 || b < 1 || a > lines.length || b > lines.length) return text;
  [lines[a - 1], lines[b - 1]] = [lines[b - 1], lines[a - 1]];
  return lines.join('\n');
}
