import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { describeResult, NoFileError, ROUTES, serverArguments } from "../src/commands";
import { serverCommand } from "../src/serverCommand";
import { SERVER_KEYS, serverSettings } from "../src/settings";
import { JobStatus } from "../src/status";

test("settings: unset values are left to the server's defaults", () => {
  const values: Record<string, unknown> = { provider: "openai", model: "gpt-x", baseUrl: "", samples: 6, budget: null };
  assert.deepEqual(serverSettings((k) => values[k]), { provider: "openai", model: "gpt-x", samples: 6 });
  // the run settings come from the manifest (generated from the server's declaration)
  for (const key of ["provider", "model", "baseUrl", "apiKeyEnv", "samples", "rounds", "repairWidth", "budget", "timeout"]) {
    assert.ok(SERVER_KEYS.includes(key), key);
  }
  assert.ok(!SERVER_KEYS.some((k) => k.startsWith("server.") || k.startsWith("trace.")));
});

test("server command: the setting wins, then the Python environment, then PATH; never --stdio", () => {
  const none = () => false;
  assert.deepEqual(serverCommand({ configured: " /opt/anvil ", exists: none }),
    { command: "/opt/anvil", args: ["serve"], source: "setting" });
  const env = serverCommand({ pythonInterpreter: "/proj/.venv/bin/python", exists: (f) => f === "/proj/.venv/bin/anvil" });
  assert.deepEqual(env, { command: "/proj/.venv/bin/anvil", args: ["serve"], source: "python-environment" });
  assert.equal(serverCommand({ pythonInterpreter: "C:\\env\\python.exe", exists: (f) => f.endsWith("anvil.exe"), platform: "win32" }).source, "python-environment");
  assert.deepEqual(serverCommand({ pythonInterpreter: "/usr/bin/python3", exists: none }),
    { command: "anvil", args: ["serve"], source: "path" });
});

test("routing: file commands take the clicked file, else the active editor", () => {
  assert.deepEqual(serverArguments("anvil.generateRtl", "file:///a/x.md", "file:///a/y_tb.sv"), [{ uri: "file:///a/x.md" }]);
  assert.deepEqual(serverArguments("anvil.checkRtl", undefined, "file:///a/y_tb.sv"), [{ uri: "file:///a/y_tb.sv" }]);
  assert.throws(() => serverArguments("anvil.generateRtl", undefined, undefined), NoFileError);
  assert.deepEqual(serverArguments("anvil.cancelJobs", undefined, "file:///a/x.md"), []);
  assert.deepEqual(serverArguments("anvil.cancelJobs", undefined, undefined, "generate-3"), [{ job: "generate-3" }]);
  assert.deepEqual(serverArguments("anvil.showDoctor", undefined, undefined), []);
  assert.throws(() => serverArguments("anvil.nope", undefined, undefined), /unknown command/);
  assert.equal(ROUTES["anvil.generateRtl"].server, "anvil.generate");
});

test("results become one readable line", () => {
  // a generate's outcome is the server's own message; only a cancellation is said here
  assert.equal(describeResult("anvil.generate", { status: "pass", llm_calls: 3 }), undefined);
  assert.equal(describeResult("anvil.generate", { status: "fail", reason: "budget spent" }), undefined);
  assert.equal(describeResult("anvil.generate", { status: "cancelled" }), "Anvil: generation cancelled.");
  assert.match(String(describeResult("anvil.check", { status: "functional_fail" })), /functional fail; see the Problems panel/);
  assert.equal(describeResult("anvil.cancel", { status: "cancelled", cancelled: ["generate-1"] }), "Anvil: cancelled 1 job(s).");
  assert.match(String(describeResult("anvil.doctor", { status: "missing", checks: [{ name: "simulator", ok: false }] })), /missing simulator/);
  assert.match(String(describeResult("anvil.generate", null)), /returned nothing/);
});

test("status bar: shows running generations and cancels on click", () => {
  const jobs = new JobStatus();
  assert.equal(jobs.view().visible, false);
  jobs.start("a", "counter.md");
  assert.deepEqual(jobs.view(), { text: "$(sync~spin) Anvil: generating counter.md", tooltip: "Click to cancel", command: "anvil.cancelJobs", visible: true });
  jobs.start("b", "alu.md");
  assert.match(jobs.view().text, /2 designs/);
  jobs.finish("a"); jobs.finish("b");
  assert.equal(jobs.view().visible, false);
});

test("package.json declares every command and setting", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  const titles = Object.fromEntries(pkg.contributes.commands.map((c: any) => [c.command, `${c.category}: ${c.title}`]));
  assert.deepEqual(titles, {
    "anvil.generateRtl": "Anvil: Generate RTL from spec", "anvil.checkRtl": "Anvil: Check RTL",
    "anvil.cancelJobs": "Anvil: Cancel", "anvil.showDoctor": "Anvil: Doctor",
    "anvil.restartServer": "Anvil: Restart Server", "anvil.showLogs": "Anvil: Show Logs",
  });
  const settings = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(settings, [...SERVER_KEYS.map((k) => `anvil.${k}`), "anvil.server.path", "anvil.trace.server"].sort());
  const menus = pkg.contributes.menus;
  assert.ok(menus["explorer/context"].some((m: any) => m.command === "anvil.generateRtl"));
  assert.ok(menus["editor/context"].some((m: any) => m.command === "anvil.generateRtl"));
});
