// SPDX-License-Identifier: Apache-2.0
// Placeholder until the command lands.

export const help = "Usage: rampart validate (not implemented yet)";

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("rampart validate: not implemented yet\n");
  return 2;
}
