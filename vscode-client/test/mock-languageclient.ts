// A stand-in for vscode-languageclient/node that records how the client was built and used. Like
// the real client, start() registers the commands the server advertises (executeCommandProvider)
// as VS Code commands, and stop() unregisters them.
import * as vscode from "vscode";

export const clients: LanguageClient[] = [];
export const SERVER_COMMANDS = ["anvil.generate", "anvil.check", "anvil.cancel", "anvil.doctor", "anvil.insert"];
export const responses: Record<string, unknown> = {};

export const ExecuteCommandRequest = { type: { method: "workspace/executeCommand" } };
export const WorkDoneProgress = { type: { method: "$/progress" } };

export class LanguageClient {
  requests: { method: string; params: any }[] = [];
  started = false;
  stopped = false;
  constructor(public id: string, public name: string, public serverOptions: any, public clientOptions: any) {
    clients.push(this);
  }
  private disposables: { dispose(): void }[] = [];
  async start() {
    this.started = true;
    for (const name of SERVER_COMMANDS) {
      this.disposables.push(vscode.commands.registerCommand(name, (...args: unknown[]) =>
        this.sendRequest(ExecuteCommandRequest.type, { command: name, arguments: args })));
    }
  }
  async stop() {
    this.stopped = true;
    for (const d of this.disposables.splice(0)) { d.dispose(); }
  }
  /** progress handlers by token, as the server's $/progress would reach them */
  progressHandlers = new Map<string | number, (value: any) => void>();
  onProgress(_type: unknown, token: string | number, handler: (value: any) => void) {
    this.progressHandlers.set(token, handler);
    return { dispose: () => { this.progressHandlers.delete(token); } };
  }
  /** runs while a request is outstanding (to report progress or press Cancel meanwhile) */
  during: ((params: any) => void) | undefined;
  async sendRequest(type: { method: string }, params: any) {
    this.requests.push({ method: type.method, params });
    this.during?.(params);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return responses[params.command];
  }
}
