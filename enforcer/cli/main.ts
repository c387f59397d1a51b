// SPDX-License-Identifier: Apache-2.0
//
// `rampart` entry point. Each command lives in ./commands/<name>.ts and exports
// `run(argv: string[]): Promise<number>` (the exit code) and `help: string`.
// Exit codes: 0 ok, 1 findings/failure, 2 usage error.

import type { Command } from "./command.js";

const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: () => import("./commands/validate.js"),
  explain: () => import("./commands/explain.js"),
  compile: () => import("./commands/compile.js"),
  probe: () => import("./commands/probe.js"),
  run: () => import("./commands/run.js"),
  logs: () => import("./commands/logs.js"),
};

const SUMMARY: Record<string, string> = {
  validate: "check KubeArmor policy files offline (schema + semantic checks)",
  explain: "show which policies apply to which container or host, and the effective rules",
  compile: "compile effective policies to AppArmor profiles, BPF map entries or SELinux modules",
  probe: "report what this node's kernel supports (LSMs, BPF-LSM, AppArmor, SELinux, BTF)",
  run: "run the node daemon (Kubernetes or standalone host mode)",
  logs: "stream alerts and logs from a Rampart (or KubeArmor) feeder, like kubectl logs",
};

function usage(): string {
  const lines = ["Usage: rampart <command> [flags]", "", "Commands:"];
  for (const [name, text] of Object.entries(SUMMARY)) lines.push(`  ${name.padEnd(10)}${text}`);
  lines.push("", "Run `rampart <command> --help` for the flags of a command.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage() + "\n");
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`rampart: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(cmd.help + "\n");
    return 0;
  }
  return cmd.run(rest);
}

const isEntry =
  process.argv[1] !== undefined && /(main\.ts|rampart\.cjs|rampart(\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    code => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`rampart: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
