// Concatenates the NL Design System stylesheets into one file the gateway embeds and serves itself,
// so the browser fetches nothing from another host. Refuses a stylesheet that would reach out.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sources = [
  "@rijkshuisstijl-community/design-tokens/dist/index.css",
  "@utrecht/component-library-css/dist/index.css",
];
const output = process.argv[2];
if (!output) {
  console.error("usage: node bundle.mjs <output.css>");
  process.exit(2);
}
const parts = sources.map((source) => {
  const css = readFileSync(join(here, "node_modules", source), "utf8");
  const external = css.match(/url\(\s*['"]?(?!data:)[^)'"]+/g) ?? [];
  const imports = css.match(/@import[^;]+;/g) ?? [];
  if (external.length > 0 || imports.length > 0) {
    console.error(`${source} refers to other files (${[...external, ...imports].slice(0, 3).join(", ")}): the dashboard serves only what it embeds.`);
    process.exit(1);
  }
  return `/* ${source} */\n${css}`;
});
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, parts.join("\n"));
