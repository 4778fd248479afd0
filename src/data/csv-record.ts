/**
 * One CSV record split the way Python's `csv.reader` (excel dialect) splits it: `"` quoting
 * with `""` as an escaped quote, no whitespace trimming, a quote inside an unquoted field
 * taken literally, text after a closing quote appended (non-strict mode).
 *
 * This is the slow path: the byte scanner (`ava-row-scanner.ts`) hands a line here only
 * when it contains a quote. `line` has no terminator. A quoted field that is still open at
 * the end of the line would continue on the next line in Python; we report it instead
 * (`undefined`), since no AVA file has a line break inside a field.
 */
export function splitCsvRecord(line: string): string[] | undefined {
  const fields: string[] = [];
  if (line.length === 0) return fields; // Python yields [] for an empty line
  let field = '';
  let state: 'start' | 'plain' | 'quoted' | 'quote-in-quoted' = 'start';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    switch (state) {
      case 'start':
        if (c === '"') state = 'quoted';
        else if (c === ',') fields.push('');
        else {
          field = c;
          state = 'plain';
        }
        break;
      case 'plain':
        if (c === ',') {
          fields.push(field);
          field = '';
          state = 'start';
        } else field += c;
        break;
      case 'quoted':
        if (c === '"') state = 'quote-in-quoted';
        else field += c;
        break;
      case 'quote-in-quoted':
        if (c === '"') {
          field += '"';
          state = 'quoted';
        } else if (c === ',') {
          fields.push(field);
          field = '';
          state = 'start';
        } else {
          field += c;
          state = 'plain';
        }
        break;
    }
  }
  if (state === 'quoted') return undefined;
  fields.push(state === 'start' ? '' : field);
  return fields;
}
