/**
 * One CSV record as buildx reads `--output`, `--cache-to` and friends (Go's encoding/csv rules,
 * via tonistiigi/go-csvvalue). A value such as `name=a:1,a:2` must be one quoted field, or buildx
 * would read `a:2` as a key without `=` and reject the exporter.
 */

/** Go's csv.Writer rule: quote when the field holds the delimiter, a quote, a line break, or starts with a space. */
function needsQuotes(field: string): boolean {
  if (field === "") return false;
  if (field === "\\.") return true;
  return /[",\r\n]/.test(field) || /^\s/.test(field);
}

/** One field, quoted (inner quotes doubled) only where needed, as Go's csv.Writer writes it. */
export function csvField(field: string): string {
  return needsQuotes(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Fields joined into one record. */
export function csvRecord(fields: readonly string[]): string {
  return fields.map(csvField).join(",");
}

/** Reads one record back into fields (RFC 4180 quoting); throws on a malformed quote. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new SyntaxError(`unterminated quoted field in ${JSON.stringify(text)}`);
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < text.length && text[i] !== ",") throw new SyntaxError(`text after a quoted field at ${i} in ${JSON.stringify(text)}`);
    } else {
      const comma = text.indexOf(",", i);
      const end = comma < 0 ? text.length : comma;
      field = text.slice(i, end);
      if (field.includes('"')) throw new SyntaxError(`bare quote in field ${JSON.stringify(field)}`);
      i = end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}
