/** Small DOM helpers: every text from the engine goes in as text (never as HTML). */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

export interface CellSpec {
  readonly text: string;
  /** Raw value for tests and sorting: `data-v`. */
  readonly value?: number | string;
  readonly className?: string;
  readonly title?: string;
}

export function cell(spec: CellSpec | string): HTMLTableCellElement {
  const td = document.createElement('td');
  const s = typeof spec === 'string' ? { text: spec } : spec;
  td.textContent = s.text;
  if (s.value !== undefined) td.dataset.v = String(s.value);
  if (s.className) td.className = s.className;
  if (s.title) td.title = s.title;
  return td;
}

export function row(cells: readonly (CellSpec | string)[], attributes: Readonly<Record<string, string>> = {}): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const [name, value] of Object.entries(attributes)) tr.setAttribute(name, value);
  for (const spec of cells) tr.append(cell(spec));
  return tr;
}

/** Replaces a table body's rows; a row saying `empty` when there are none. */
export function fillBody(body: HTMLTableSectionElement, rows: readonly HTMLTableRowElement[], empty: string): void {
  if (rows.length === 0) {
    const td = document.createElement('td');
    td.colSpan = body.parentElement?.querySelectorAll('thead th').length ?? 1;
    td.className = 'empty';
    td.textContent = empty;
    const tr = document.createElement('tr');
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...rows);
}
