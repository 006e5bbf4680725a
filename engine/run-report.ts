/**
 * What a run found and what failed, read from the engine's own events, for the last lines of
 * `npm run up`: the drifts a refresh recorded (resources/step.ts `drift`), and for each resource that
 * failed its name and the reason its step gave (the script's last stderr line), not only the engine's
 * first `error:` line.
 */
import type * as auto from "@pulumi/pulumi/automation";

/** `urn:pulumi:dev::postgres-images::...::postgresql-17-minimal-trixie-tags` → its last name. */
export function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

export interface RunReport {
  readonly onEvent: (e: auto.EngineEvent) => void;
  /** Resource name → what the refresh found it drifted by (one line). */
  readonly drifts: Map<string, string>;
  /** Resource name → the failure's reason (one line). */
  readonly failures: Map<string, string>;
}

/** The line of a failure message that says why: the last non-empty line that is not the engine's own wrapping. */
export function reasonOf(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^error: update failed$/.test(l));
  const own = lines.filter((l) => !/^(?:error: )?(?:exited with|.*: exited with (?:status|signal) \S+:?$)/.test(l));
  return (own[own.length - 1] ?? lines[lines.length - 1] ?? message.trim()).replace(/^error: /, "");
}

export function runReport(): RunReport {
  const drifts = new Map<string, string>();
  const failures = new Map<string, string>();
  return {
    drifts,
    failures,
    onEvent: (e) => {
      const d = e.diagnosticEvent;
      if (d !== undefined && d.severity === "error" && d.urn !== undefined && d.urn !== "") {
        const name = resourceName(d.urn);
        if (!name.startsWith("postgres-images-")) failures.set(name, reasonOf(d.message));
      }
      const m = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
      const drift = (m?.new?.outputs as { drift?: unknown } | undefined)?.drift;
      if (m === undefined) return;
      if (typeof drift === "string" && drift !== "") drifts.set(resourceName(m.urn), drift);
      // A step made of parts (resources/parts-step.ts) records a drift per part.
      if (typeof drift === "object" && drift !== null) {
        for (const [part, text] of Object.entries(drift)) if (typeof text === "string" && text !== "") drifts.set(`${resourceName(m.urn)}: ${part}`, text);
      }
    },
  };
}

/** The end of a CLI error that is not about one resource (a lock, a state the engine refused): the `error:` line and the lines that explain it. */
export function commandErrorLines(message: string): string[] {
  const lines = message.split("\n");
  // The Automation API's CommandError puts `stderr: ` before the CLI's own first line.
  const start = lines.findIndex((l) => /(?:^|\s)error: /.test(l));
  if (start < 0) return [lines.find((l) => l.trim() !== "")?.trim() ?? message.trim()];
  const first = lines[start];
  const out = [first.slice(first.indexOf("error: ") + "error: ".length).trim()];
  for (const l of lines.slice(start + 1)) {
    // The Automation API appends its own `err?: Error: Command failed …` line: the run already said that.
    if (!/^\s+\S/.test(l) || /^\s*err\?:/.test(l) || out.length >= 10) break;
    out.push(l.trim());
  }
  return out;
}
