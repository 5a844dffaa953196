import assert from "node:assert/strict";
import { test } from "node:test";

import * as lc from "vscode-languageclient/node";
import * as vscode from "vscode";

import { activate, deactivate } from "../src/extension";

const mockVscode = vscode as any;
const mockClient = lc as any;

test("activation starts `anvil serve` with the settings and wires the commands", async () => {
  mockVscode.settings.provider = "openai";
  mockVscode.settings.model = "qwen";
  mockVscode.settings.samples = 2;
  mockVscode.state.pythonPath = "/nonexistent/venv/bin/python";
  const subscriptions: { dispose(): void }[] = [];
  await activate({ subscriptions } as any);

  const client = mockClient.clients.at(-1);
  assert.ok(client.started);
  assert.deepEqual(client.serverOptions, { command: "anvil", args: ["serve"] });
  assert.equal(client.serverOptions.transport, undefined);
  assert.deepEqual(client.clientOptions.initializationOptions, { provider: "openai", model: "qwen", samples: 2 });
  assert.equal(client.clientOptions.synchronize.configurationSection, "anvil");
  // the palette's six, and the server's commands the client registered: no name twice
  assert.deepEqual([...mockVscode.registered.keys()].sort(), [
    "anvil.cancel", "anvil.cancelJobs", "anvil.check", "anvil.checkRtl", "anvil.doctor", "anvil.generate",
    "anvil.generateRtl", "anvil.insert", "anvil.restartServer", "anvil.showDoctor", "anvil.showLogs"]);

  // generate from the explorer: the server gets the file and our progress token; its reports fill
  // a cancellable notification, the status bar shows the job meanwhile; the pass is the server's word
  mockClient.responses["anvil.generate"] = { status: "pass", llm_calls: 2, job: "generate-1" };
  const callsBefore = mockVscode.calls.length;
  client.during = (params: any) => {
    const token = params.arguments[0]?.workDoneToken;
    if (params.command !== "anvil.generate") { return; }
    client.progressHandlers.get(token)({ kind: "begin", title: "Anvil: generating counter", message: "0/4 model calls", percentage: 0 });
    client.progressHandlers.get(token)({ kind: "report", message: "1/4 model calls", percentage: 25 });
    client.progressHandlers.get(token)({ kind: "report", message: "2/4 model calls", percentage: 50 });
  };
  await mockVscode.registered.get("anvil.generateRtl")(mockVscode.Uri.parse("file:///ws/counter.md"));
  const sent = client.requests.at(-1);
  assert.equal(sent.params.command, "anvil.generate");
  assert.equal(sent.params.arguments[0].uri, "file:///ws/counter.md");
  const token = sent.params.arguments[0].workDoneToken;
  assert.match(String(token), /^anvil-vscode-/);
  const shown = mockVscode.progresses.at(-1);
  assert.deepEqual(shown.options, { location: mockVscode.ProgressLocation.Notification, title: "Anvil: generating counter.md", cancellable: true });
  assert.deepEqual(shown.reports, [{ message: "0/4 model calls", increment: 0 }, { message: "1/4 model calls", increment: 25 },
    { message: "2/4 model calls", increment: 25 }]);
  assert.equal(client.progressHandlers.size, 0);  // stopped listening when the command answered
  assert.deepEqual(mockVscode.statusItem.history.slice(-2), ["show:$(sync~spin) Anvil: generating counter.md", "hide"]);
  assert.equal(mockVscode.calls.length, callsBefore);  // no second toast beside the server's

  // Cancel in the notification cancels the job holding our token
  mockClient.responses["anvil.generate"] = { status: "cancelled", job: "generate-2" };
  client.during = (params: any) => { if (params.command === "anvil.generate") { mockVscode.progresses.at(-1).cancel(); } };
  await mockVscode.registered.get("anvil.generateRtl")(mockVscode.Uri.parse("file:///ws/counter.md"));
  const [generate2, cancel2] = client.requests.slice(-2);
  assert.deepEqual(cancel2.params, { command: "anvil.cancel", arguments: [{ workDoneToken: generate2.params.arguments[0].workDoneToken }] });
  assert.notEqual(generate2.params.arguments[0].workDoneToken, token);
  assert.equal(mockVscode.calls.at(-1).args[0], "Anvil: generation cancelled.");
  client.during = undefined;

  // check from the active editor; cancel and doctor take no file
  mockVscode.state.activeUri = "file:///ws/counter_tb.sv";
  mockClient.responses["anvil.check"] = { status: "functional_fail" };
  await mockVscode.registered.get("anvil.checkRtl")();
  assert.deepEqual(client.requests.at(-1).params, { command: "anvil.check", arguments: [{ uri: "file:///ws/counter_tb.sv" }] });
  mockClient.responses["anvil.cancel"] = { status: "cancelled", cancelled: [] };
  await mockVscode.registered.get("anvil.cancelJobs")();
  assert.deepEqual(client.requests.at(-1).params, { command: "anvil.cancel", arguments: [] });

  // no file at all: a warning, no request
  mockVscode.state.activeUri = undefined;
  const before = client.requests.length;
  await mockVscode.registered.get("anvil.generateRtl")();
  assert.equal(client.requests.length, before);
  assert.equal(mockVscode.calls.at(-1).kind, "warning");

  // restart makes a new client; show logs opens the output
  await mockVscode.registered.get("anvil.restartServer")();
  assert.ok(client.stopped && mockClient.clients.at(-1) !== client);
  await mockVscode.registered.get("anvil.showLogs")();
  assert.equal(mockVscode.calls.at(-1).kind, "output.show");
  await deactivate();
  assert.ok(mockClient.clients.at(-1).stopped);
});
