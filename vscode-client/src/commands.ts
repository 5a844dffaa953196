// Editor commands and the server commands they run.

export interface CommandRoute {
  /** the server's workspace/executeCommand name */
  server: string;
  /** does the command act on a file (the explorer selection or the active editor)? */
  needsFile: boolean;
}

// The palette's names differ from the server's: vscode-languageclient registers every command the
// server advertises (anvil.generate, anvil.check, anvil.cancel, anvil.doctor, anvil.insert) as a VS
// Code command itself, and registering one name twice throws, which would stop the activation.
export const ROUTES: Record<string, CommandRoute> = {
  "anvil.generateRtl": { server: "anvil.generate", needsFile: true },
  "anvil.checkRtl": { server: "anvil.check", needsFile: true },
  "anvil.cancelJobs": { server: "anvil.cancel", needsFile: false },
  "anvil.showDoctor": { server: "anvil.doctor", needsFile: false },
};

export class NoFileError extends Error {}

/**
 * The arguments of the server command: `[{uri}]` for file commands, taken from the explorer
 * selection (`clicked`) or else the active editor; `[]` or `[{job}]` otherwise.
 */
export function serverArguments(command: string, clicked: string | undefined, active: string | undefined,
                                job?: string): unknown[] {
  const route = ROUTES[command];
  if (!route) {
    throw new Error(`unknown command ${command}`);
  }
  if (route.needsFile) {
    const uri = clicked ?? active;
    if (!uri) {
      throw new NoFileError("Open or select a spec or testbench first.");
    }
    return [{ uri }];
  }
  if (command === "anvil.cancelJobs" && job) {
    return [{ job }];
  }
  return [];
}

/**
 * One line for the user about a server command's JSON result, or undefined where the server has
 * already said it in a message of its own (a generate's pass, failure, error or busy design).
 */
export function describeResult(command: string, result: any): string | undefined {
  if (!result || typeof result !== "object") {
    return `Anvil: ${command} returned nothing`;
  }
  const status = String(result.status ?? "unknown");
  if (command === "anvil.generate") {
    return status === "cancelled" ? "Anvil: generation cancelled." : undefined;
  }
  if (command === "anvil.check") {
    if (status === "pass") { return "Anvil: the RTL passes its testbench."; }
    if (status === "error") { return `Anvil: ${result.message ?? "check failed"}`; }
    return `Anvil: ${status.replace("_", " ")}; see the Problems panel.`;
  }
  if (command === "anvil.cancel") {
    const n = Array.isArray(result.cancelled) ? result.cancelled.length : 0;
    return n ? `Anvil: cancelled ${n} job(s).` : "Anvil: nothing to cancel.";
  }
  if (command === "anvil.doctor") {
    const missing = (result.checks ?? []).filter((c: any) => !c.ok && c.required !== false).map((c: any) => c.name);
    return missing.length ? `Anvil doctor: missing ${missing.join(", ")} (details in the log).` : "Anvil doctor: everything needed is installed.";
  }
  return `Anvil: ${status}`;
}
