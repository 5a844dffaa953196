// Which `anvil` to start as the language server.
import * as path from "path";

export interface ServerCommandInputs {
  /** `anvil.server.path`, when the user set it */
  configured?: string;
  /** the selected Python environment's interpreter, from the Python extension */
  pythonInterpreter?: string;
  /** does this file exist and is it executable? */
  exists: (file: string) => boolean;
  platform?: string;
}

export interface ServerCommand {
  command: string;
  args: string[];
  source: "setting" | "python-environment" | "path";
}

/**
 * The server command. No `--stdio` and no `transport` in the server options: the server speaks
 * stdio only, and vscode-languageclient appends `--stdio` when a transport is set.
 */
export function serverCommand(inputs: ServerCommandInputs): ServerCommand {
  const args = ["serve"];
  if (inputs.configured && inputs.configured.trim() !== "") {
    return { command: inputs.configured.trim(), args, source: "setting" };
  }
  if (inputs.pythonInterpreter) {
    const windows = (inputs.platform ?? process.platform) === "win32";
    const dir = path.dirname(inputs.pythonInterpreter);
    const candidate = path.join(dir, windows ? "anvil.exe" : "anvil");
    if (inputs.exists(candidate)) {
      return { command: candidate, args, source: "python-environment" };
    }
  }
  return { command: "anvil", args, source: "path" };
}
