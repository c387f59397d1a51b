// SPDX-License-Identifier: Apache-2.0
//
// Test helpers for the feeder suites: real certificates from openssl, polling, and running the
// CLI as a child process. Not used by production code.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TestPki {
  dir: string;
  ca: Buffer;
  caPath: string;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  clientCertPath: string;
  clientKeyPath: string;
  /** A second CA that signed nothing we trust. */
  otherCaPath: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A throwaway CA, a server cert for 127.0.0.1/localhost and a client cert, made by openssl. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "rampart-feeder-pki-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=rampart-test-ca",
    ],
    dir,
  );
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "other.key",
      "-out",
      "other.crt",
      "-days",
      "2",
      "-subj",
      "/CN=other-ca",
    ],
    dir,
  );
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    openssl(
      ["req", ...ec, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=rampart-test-${who}`],
      dir,
    );
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${who}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${who}.crt`,
        "-days",
        "2",
        "-extfile",
        `${who}.ext`,
      ],
      dir,
    );
  }
  const r = (f: string) => readFileSync(join(dir, f));
  return {
    dir,
    ca: r("ca.crt"),
    caPath: join(dir, "ca.crt"),
    serverCert: r("server.crt"),
    serverKey: r("server.key"),
    clientCert: r("client.crt"),
    clientKey: r("client.key"),
    clientCertPath: join(dir, "client.crt"),
    clientKeyPath: join(dir, "client.key"),
    otherCaPath: join(dir, "other.crt"),
  };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 10));
  }
}

export interface CliRun {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal?: NodeJS.Signals) => void;
}

const MAIN = join(dirname(__filename), "..", "cli", "main.ts");

/** Start `rampart <args>` from the sources (node --import tsx), capturing its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", d => (out += d));
  child.stderr.on("data", d => (err += d));
  const code = new Promise<number>(resolve => child.on("close", c => resolve(c ?? 1)));
  return { code, stdout: () => out, stderr: () => err, kill: s => child.kill(s) };
}
