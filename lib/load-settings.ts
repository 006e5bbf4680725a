import type { ConfigError } from "./errors";
import { allCellNames } from "./matrix/matrix";
import { parseSettings, type RawConfig, type Settings } from "./config/settings";
import { todayUtc } from "./config/scan-gate";

/**
 * Raw merged configuration → Settings; throws ConfigErrors listing every problem. `problems` are the
 * stack file's own (readStackFile); a key they name is not checked again, so one mistake is one line.
 * It lives above config/ and matrix/ because it joins them: the `targets` filter is checked against the
 * matrix's cell names, and the matrix is made from settings. `today` (UTC, YYYY-MM-DD; by default the
 * day of this call) is the day the scan gate's allow-list expiries are checked against.
 */
export function loadSettings(raw: RawConfig, problems: readonly ConfigError[] = [], today: string = todayUtc()): Settings {
  return parseSettings(raw, allCellNames, problems, today);
}
