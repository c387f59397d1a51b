// SPDX-License-Identifier: Apache-2.0
// Binds the AppArmor backend to the AppArmor profile compiler (enforcer/compilers).
import type { AppArmorRender } from "./apparmor.js";
import { CompileError } from "./types.js";

export const renderAppArmor: AppArmorRender = () => {
  throw new CompileError("apparmor: the profile compiler is not part of this build yet");
};
