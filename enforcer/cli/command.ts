// SPDX-License-Identifier: Apache-2.0

/** A CLI command module. `run` returns the process exit code (0 ok, 1 findings/failure, 2 usage). */
export interface Command {
  help: string;
  run(argv: string[]): Promise<number>;
}
