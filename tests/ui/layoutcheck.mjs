// The layout check the browser tests share: what on the page is out of
// place at the current window size (see layoutProblems).

/**
 * What is out of place on the page: horizontal overflow of the document or
 * of main, and every visible control whose box leaves the nearest box that
 * clips it (a panel, a scroll box, main).
 */
export function layoutProblems() {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth + 1) out.push(`the page is ${doc.scrollWidth}px wide in a ${innerWidth}px window`);
  const main = document.querySelector('main');
  if (main.scrollWidth > main.clientWidth + 1) out.push(`main scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  const clips = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (a.matches('.panel, main') || /(hidden|auto|scroll|clip)/.test(s.overflowX)) return a;
    }
    return document.body;
  };
  const name = (el) => el.getAttribute('aria-label') || el.getAttribute('name') || el.textContent.trim().slice(0, 40) || el.tagName;
  for (const el of document.querySelectorAll('main button, main input, main select, main textarea, main a.button, main [role="tab"]')) {
    if (el.closest('.cm-editor')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    const box = clips(el).getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1) out.push(`${el.tagName.toLowerCase()} "${name(el)}" ${Math.round(r.left)}..${Math.round(r.right)} leaves its box ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  // Scroll boxes that scroll sideways hide part of a row.
  for (const el of document.querySelectorAll('main .scroll, main .wrap, main .records')) {
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return out;
}
