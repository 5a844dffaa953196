// Anvil for VS Code: starts `anvil serve` and adds only what the server cannot do itself
// (palette and menu entries, a status bar item). Progress, diagnostics and code actions come
// from the server through vscode-languageclient.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions, WorkDoneProgress,
} from "vscode-languageclient/node";

import { describeResult, NoFileError, ROUTES, serverArguments } from "./commands";
import { serverCommand } from "./serverCommand";
import { serverSettings } from "./settings";
import { JobStatus } from "./status";

let client: LanguageClient | undefined;
const jobs = new JobStatus();
let progressTokens = 0;

/**
 * Generate with a progress notification that has a cancel button. The command carries a
 * work-done token of ours, so the server reports on it (vscode-languageclient would show
 * server-initiated progress in the status bar only, where it cannot be cancelled); the button
 * cancels the job holding that token.
 */
async function generateWithProgress(c: LanguageClient, arg: { uri: string }, name: string): Promise<unknown> {
  const token = `anvil-vscode-${process.pid}-${++progressTokens}`;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Anvil: generating ${name}`, cancellable: true },
    async (progress, cancellation) => {
      let done = 0;
      const listening = c.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === "end") { return; }
        const percentage = typeof value.percentage === "number" ? value.percentage : done;
        progress.report({ message: value.message, increment: Math.max(0, percentage - done) });
        done = Math.max(done, percentage);
      });
      const cancelling = cancellation.onCancellationRequested(() => {
        void c.sendRequest(ExecuteCommandRequest.type, { command: "anvil.cancel", arguments: [{ workDoneToken: token }] });
      });
      try {
        return await c.sendRequest(ExecuteCommandRequest.type,
          { command: "anvil.generate", arguments: [{ ...arg, workDoneToken: token }] });
      } finally {
        listening.dispose();
        cancelling.dispose();
      }
    });
}

async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) { return undefined; }
  try {
    const api = python.isActive ? python.exports : await python.activate();
    const env = api?.environments?.getActiveEnvironmentPath?.();
    return env?.path;
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function startClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): Promise<LanguageClient> {
  const config = vscode.workspace.getConfiguration("anvil");
  const server = serverCommand({
    configured: config.get<string>("server.path"),
    pythonInterpreter: await pythonInterpreter(),
    exists: isExecutable,
  });
  output.appendLine(`Starting ${server.command} ${server.args.join(" ")} (from ${server.source})`);
  const serverOptions: ServerOptions = { command: server.command, args: server.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "verilog" },
      { scheme: "file", language: "systemverilog" },
      { scheme: "file", language: "markdown" },
      { scheme: "file", language: "plaintext", pattern: "**/*_prompt.txt" },
    ],
    initializationOptions: serverSettings((key) => config.get(key)),
    synchronize: { configurationSection: "anvil" },
    outputChannel: output,
  };
  const created = new LanguageClient("anvil", "Anvil", serverOptions, clientOptions);
  await created.start();
  return created;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Anvil", { log: true });
  const statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  context.subscriptions.push(output, statusItem);

  const refresh = () => {
    const view = jobs.view();
    statusItem.text = view.text;
    statusItem.tooltip = view.tooltip;
    statusItem.command = view.command;
    if (view.visible) { statusItem.show(); } else { statusItem.hide(); }
  };

  try {
    client = await startClient(context, output);
  } catch (err) {
    output.appendLine(`Could not start the Anvil server: ${err}`);
    vscode.window.showErrorMessage(
      "Anvil: could not start the language server. Install Anvil in the selected Python environment or set anvil.server.path.",
      "Show Logs").then((choice) => { if (choice) { output.show(); } });
  }

  for (const command of Object.keys(ROUTES)) {
    context.subscriptions.push(vscode.commands.registerCommand(command, async (clicked?: vscode.Uri) => {
      if (!client) {
        vscode.window.showErrorMessage("Anvil: the language server is not running (Anvil: Show Logs).");
        return;
      }
      const route = ROUTES[command];
      let args: unknown[];
      try {
        args = serverArguments(command, clicked?.toString(), vscode.window.activeTextEditor?.document.uri.toString());
      } catch (err) {
        if (err instanceof NoFileError) { vscode.window.showWarningMessage(`Anvil: ${err.message}`); return; }
        throw err;
      }
      const key = route.needsFile ? String((args[0] as { uri: string }).uri) : command;
      const name = path.basename(vscode.Uri.parse(key).fsPath);
      if (command === "anvil.generateRtl") {
        jobs.start(key, name);
        refresh();
      }
      try {
        const result = command === "anvil.generateRtl"
          ? await generateWithProgress(client, args[0] as { uri: string }, name)
          : await client.sendRequest(ExecuteCommandRequest.type, { command: route.server, arguments: args });
        if (command === "anvil.showDoctor") { output.appendLine(JSON.stringify(result, null, 2)); }
        const message = describeResult(route.server, result);
        const status = (result as { status?: string } | null)?.status;
        if (message === undefined) { /* the server has said it (window/showMessage) */ }
        else if (status === "error" || status === "fail") { vscode.window.showWarningMessage(message); }
        else { vscode.window.showInformationMessage(message); }
      } finally {
        if (command === "anvil.generateRtl") { jobs.finish(key); refresh(); }
      }
    }));
  }

  context.subscriptions.push(
    vscode.commands.registerCommand("anvil.restartServer", async () => {
      if (client) { await client.stop(); }
      client = await startClient(context, output);
    }),
    vscode.commands.registerCommand("anvil.showLogs", () => output.show()),
  );
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
