// A stand-in for vscode-languageclient/node that records how the client was built and used.
export const clients: LanguageClient[] = [];
export const responses: Record<string, unknown> = {};

export const ExecuteCommandRequest = { type: { method: "workspace/executeCommand" } };

export class LanguageClient {
  requests: { method: string; params: any }[] = [];
  started = false;
  stopped = false;
  constructor(public id: string, public name: string, public serverOptions: any, public clientOptions: any) {
    clients.push(this);
  }
  async start() { this.started = true; }
  async stop() { this.stopped = true; }
  async sendRequest(type: { method: string }, params: any) {
    this.requests.push({ method: type.method, params });
    await new Promise((resolve) => setTimeout(resolve, 5));
    return responses[params.command];
  }
}
