// Mapping VS Code's `anvil.*` settings to the server's configuration section.
// The server validates values itself (and says what it ignored); here we only drop what is unset.

export interface ServerSettings {
  provider?: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  samples?: number;
  rounds?: number;
  budget?: number;
  timeout?: number;
}

/** Settings keys forwarded to the server, as they appear under `anvil.` */
export const SERVER_KEYS: (keyof ServerSettings)[] = [
  "provider", "model", "baseUrl", "apiKeyEnv", "samples", "rounds", "budget", "timeout",
];

/** Read the server's settings through `get` (e.g. `workspace.getConfiguration("anvil").get`). */
export function serverSettings(get: (key: string) => unknown): ServerSettings {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = get(key);
    if (value === undefined || value === null || value === "") {
      continue;
    }
    out[key] = value;
  }
  return out as ServerSettings;
}
