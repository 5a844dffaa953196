// The README inside the .vsix: the pictures live in ../docs (shared with the main README), so
// they are copied into media/ and the packaged README points there; VS Code's extension page
// then shows them from the installed extension. Run before `vsce package --readme-path`.
const fs = require("node:fs");
const path = require("node:path");

const here = path.join(__dirname, "..");
const docs = path.join(here, "..", "docs");
const media = path.join(here, "media");
fs.mkdirSync(media, { recursive: true });
const readme = fs.readFileSync(path.join(here, "README.md"), "utf8");
const pictures = [...readme.matchAll(/\]\(\.\.\/docs\/([\w.-]+\.png)\)/g)].map((m) => m[1]);
for (const name of pictures) {
  fs.copyFileSync(path.join(docs, name), path.join(media, name));
}
fs.mkdirSync(path.join(here, "out"), { recursive: true });
fs.writeFileSync(path.join(here, "out", "README.md"), readme.replaceAll("](../docs/", "](media/"));
console.log(`staged README.md with ${pictures.length} pictures`);
