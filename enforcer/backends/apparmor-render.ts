// SPDX-License-Identifier: Apache-2.0
// Binds the AppArmor backend to the AppArmor profile compiler (enforcer/compilers/apparmor.ts).
import { compileAppArmor } from "../compilers/apparmor.js";
import { formatCompileError } from "../compilers/errors.js";
import type { AppArmorRender } from "./apparmor.js";
import { CompileError } from "./types.js";

export const renderAppArmor: AppArmorRender = (effective, name) => {
  const r = compileAppArmor(effective);
  if (!r.ok) throw new CompileError(`apparmor: ${r.errors.map(formatCompileError).join("; ")}`);
  if (r.value.name !== name)
    throw new CompileError(`apparmor: compiler named the profile ${r.value.name}, expected ${name}`);
  return r.value.text;
};
