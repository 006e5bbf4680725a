import type { Cell } from "./matrix";
import { cellTags } from "./naming";
import type { Settings } from "../config/settings";
import type { Stamp } from "./stamp";

/** A plain-text table of cells for people: one row per cell, tags without the repository. */
export function renderTable(cells: readonly Cell[], settings: Pick<Settings, "repository">, stamp: Stamp): string {
  const header = ["NAME", "VERSION", "TYPE", "DISTRO", "PLATFORMS", "TAGS"];
  const prefix = `${settings.repository}:`;
  const rows = cells.map((c) => [
    c.name,
    c.version.text,
    c.type,
    c.base.distro,
    c.platforms.join(","),
    cellTags(c, stamp)
      .map((t) => (t.startsWith(prefix) ? t.slice(prefix.length) : t))
      .join(" "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join("  ");
  return `${[header, ...rows].map(line).join("\n")}\n${cells.length} cells, repository ${settings.repository}\n`;
}
