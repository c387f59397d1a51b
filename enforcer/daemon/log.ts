// SPDX-License-Identifier: Apache-2.0
//
// Structured daemon logs (winston): JSON lines when stdout is not a TTY (collectors parse them),
// short human lines on a terminal. Components take the narrow `Logger` shape so tests can pass
// a recorder instead.
import winston from "winston";
import { terminalJson, terminalSafe } from "../model/terminal-text.js";

export interface Logger {
  error(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  debug(msg: string, meta?: Record<string, unknown>): void;
}

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function bigintSafe(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) out[k] = typeof v === "bigint" ? v.toString() : v;
  return out;
}

export function createLogger(level: LogLevel = "info", json = !process.stdout.isTTY): Logger {
  const format = json
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
        winston.format.timestamp({ format: "HH:mm:ss" }),
        winston.format.printf(({ timestamp, level: lvl, message, ...rest }) => {
          // Messages and fields can carry workload strings (paths, names): inert on a terminal.
          const extra = Object.keys(rest).length ? " " + terminalJson(JSON.stringify(bigintSafe(rest))) : "";
          return `${String(timestamp)} ${lvl.padEnd(5)} ${terminalSafe(String(message))}${extra}`;
        }),
      );
  const w = winston.createLogger({ level, format, transports: [new winston.transports.Console()] });
  const wrap =
    (lvl: LogLevel) =>
    (msg: string, meta?: Record<string, unknown>): void => {
      w.log(lvl, msg, meta ? bigintSafe(meta) : {});
    };
  return { error: wrap("error"), warn: wrap("warn"), info: wrap("info"), debug: wrap("debug") };
}

/** A logger that keeps records in memory (tests) and can forward to another one. */
export function memoryLogger(): Logger & {
  records: Array<{ level: LogLevel; msg: string; meta?: Record<string, unknown> }>;
} {
  const records: Array<{ level: LogLevel; msg: string; meta?: Record<string, unknown> }> = [];
  const rec = (level: LogLevel) => (msg: string, meta?: Record<string, unknown>) => {
    records.push({ level, msg, meta });
  };
  return { records, error: rec("error"), warn: rec("warn"), info: rec("info"), debug: rec("debug") };
}
