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

  // generate from the explorer: the server gets the file, the status bar shows the job meanwhile
  mockClient.responses["anvil.generate"] = { status: "pass", llm_calls: 2, job: "generate-1" };
  await mockVscode.registered.get("anvil.generateRtl")(mockVscode.Uri.parse("file:///ws/counter.md"));
  assert.deepEqual(client.requests.at(-1), {
    method: "workspace/executeCommand", params: { command: "anvil.generate", arguments: [{ uri: "file:///ws/counter.md" }] } });
  assert.deepEqual(mockVscode.statusItem.history.slice(-2), ["show:$(sync~spin) Anvil: generating counter.md", "hide"]);
  assert.match(String(mockVscode.calls.at(-1).args[0]), /Insert passing RTL/);

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
