// Mapping VS Code's `anvil.*` settings to the server's configuration section.
// The run settings are declared once, in the server (engine/settings.py), and written into this
// extension's package.json by scripts/sync_settings.py; here they are read back from the manifest,
// so the two cannot drift. The server validates values itself (and says what it ignored); here we
// only drop what is unset.
import manifest from "../package.json";

/** The extension's own settings, not forwarded to the server. */
const OWN = ["server.", "trace."];

/** Settings keys forwarded to the server, as they appear under `anvil.` */
export const SERVER_KEYS: string[] = Object.keys(manifest.contributes.configuration.properties)
  .map((key) => key.slice("anvil.".length))
  .filter((key) => !OWN.some((own) => key.startsWith(own)));

/** Read the server's settings through `get` (e.g. `workspace.getConfiguration("anvil").get`). */
export function serverSettings(get: (key: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = get(key);
    if (value === undefined || value === null || value === "") {
      continue;
    }
    out[key] = value;
  }
  return out;
}
