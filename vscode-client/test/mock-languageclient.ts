// A stand-in for vscode-languageclient/node that records how the client was built and used. Like
// the real client, start() registers the commands the server advertises (executeCommandProvider)
// as VS Code commands, and stop() unregisters them.
import * as vscode from "vscode";

export const clients: LanguageClient[] = [];
export const SERVER_COMMANDS = ["anvil.generate", "anvil.check", "anvil.cancel", "anvil.doctor", "anvil.insert"];
export const responses: Record<string, unknown> = {};

export const ExecuteCommandRequest = { type: { method: "workspace/executeCommand" } };

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
  async sendRequest(type: { method: string }, params: any) {
    this.requests.push({ method: type.method, params });
    await new Promise((resolve) => setTimeout(resolve, 5));
    return responses[params.command];
  }
}
