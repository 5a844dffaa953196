// Checks the packaged .vsix: the compiled extension is inside, and its manifest declares the
// commands and settings. Run after `vsce package` (part of `npm run ci`).
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");

const vsix = process.argv[2] || "anvil-rtl.vsix";
const listing = execFileSync("unzip", ["-l", vsix], { encoding: "utf8" });
assert.match(listing, /extension\/out\/extension\.js/, "compiled extension missing");
assert.match(listing, /extension\/package\.json/);
const pkg = JSON.parse(execFileSync("unzip", ["-p", vsix, "extension/package.json"], { encoding: "utf8" }));
const main = execFileSync("unzip", ["-p", vsix, "extension/out/extension.js"], { encoding: "utf8" });
assert.match(main, /exports\.activate|activate:/, "no activate() in the bundle");
const commands = pkg.contributes.commands.map((c) => c.command).sort();
assert.deepEqual(commands, ["anvil.cancelJobs", "anvil.checkRtl", "anvil.generateRtl", "anvil.restartServer",
  "anvil.showDoctor", "anvil.showLogs"]);
const settings = Object.keys(pkg.contributes.configuration.properties).sort();
for (const key of ["provider", "model", "baseUrl", "apiKeyEnv", "samples", "rounds", "repairWidth", "budget",
  "timeout", "server.path", "trace.server"]) {
  assert.ok(settings.includes(`anvil.${key}`), `setting anvil.${key} missing`);
}
console.log(`${vsix}: ${commands.length} commands, ${settings.length} settings, ${main.length} bytes of extension`);
const readme = execFileSync("unzip", ["-p", vsix, "extension/readme.md"], { encoding: "utf8" });
for (const [, picture] of readme.matchAll(/\]\((media\/[\w.-]+\.png)\)/g)) {
  assert.match(listing, new RegExp(`extension/${picture.replace(".", "\\.")}`), `${picture} is not in the .vsix`);
}
assert.doesNotMatch(readme, /\]\(\.\.\//, "the packaged README points outside the extension");
