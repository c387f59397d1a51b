// SPDX-License-Identifier: Apache-2.0
//
// Build script: napi link setup, then one libbpf-cargo skeleton per bpf/*.bpf.c. The objects
// are compiled with Debian's clang 14 and the same flags as bpf/build.sh (which also makes
// sure the generated vmlinux.h exists); the skeletons are used for their `types` module
// (the Rust mirror of bpf/include/events.h and rules.h), the object bytes are embedded with
// include_bytes! from OUT_DIR.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    napi_build::setup();

    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let bpf_dir = manifest.parent().unwrap().join("bpf");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());

    // bpf/build.sh vmlinux: generate (or reuse) vmlinux.h and print its directory.
    let vm = Command::new(bpf_dir.join("build.sh"))
        .arg("vmlinux")
        .output()
        .expect("running bpf/build.sh vmlinux");
    if !vm.status.success() {
        panic!("bpf/build.sh vmlinux failed: {}", String::from_utf8_lossy(&vm.stderr));
    }
    let vmlinux_dir = String::from_utf8(vm.stdout).unwrap().trim().to_string();

    let clang = if Path::new("/usr/bin/clang-14").exists() { "clang-14" } else { "clang" };
    let mut names = Vec::new();
    let mut sources: Vec<_> = std::fs::read_dir(&bpf_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    sources.sort();
    for src in sources {
        let file = src.file_name().unwrap().to_string_lossy().to_string();
        let name = file.trim_end_matches(".bpf.c").to_string();
        let obj = out.join(format!("{name}.bpf.o"));
        let skel = out.join(format!("{name}.skel.rs"));
        libbpf_cargo::SkeletonBuilder::new()
            .source(&src)
            .obj(&obj)
            .clang(clang)
            .clang_args([
                "-Wall".to_string(),
                "-Werror".to_string(),
                format!("-I{}", bpf_dir.join("include").display()),
                format!("-I{vmlinux_dir}"),
            ])
            .build_and_generate(&skel)
            .unwrap_or_else(|e| panic!("building {}: {e:#}", src.display()));
        println!("cargo:rerun-if-changed={}", src.display());
        names.push(name);
    }
    println!("cargo:rerun-if-changed={}", bpf_dir.join("include").display());
    for h in std::fs::read_dir(bpf_dir.join("include")).unwrap().flatten() {
        println!("cargo:rerun-if-changed={}", h.path().display());
    }
    println!("cargo:rerun-if-changed={}", bpf_dir.join("build.sh").display());
    println!("cargo:rerun-if-changed={vmlinux_dir}/vmlinux.h");
    // Set by native/build.sh and native/test.sh to a content hash of the sources above: reruns
    // this script when another checkout sharing the target dir built different sources last.
    println!("cargo:rerun-if-env-changed=RAMPART_BPF_SOURCES");

    // objects.rs: `pub mod <name> { include!(skel); pub const OBJECT: &[u8] = include_bytes!(obj); }`
    let mut gen = String::new();
    for n in &names {
        gen.push_str(&format!(
            "#[allow(dead_code, non_snake_case, non_camel_case_types, clippy::all)]\npub mod {n} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{n}.skel.rs\"));\n    /// The compiled BPF object.\n    pub const OBJECT: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{n}.bpf.o\"));\n}}\n"
        ));
    }
    std::fs::write(out.join("objects.rs"), gen).unwrap();
}
