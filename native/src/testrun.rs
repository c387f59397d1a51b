// SPDX-License-Identifier: Apache-2.0
//
// DecideHarness: the in-kernel decision logic (bpf/include/decide.h) driven through
// BPF_PROG_TEST_RUN on a raw_tracepoint program (bpf/decide_test.bpf.c). Works on kernels
// that refuse LSM programs; used by the host-kernel suite (the compiler's generated cases)
// and by bench/lookup (cost per decision).
use crate::codec::RuleSet;
use crate::error::{Code, NResult, NativeError};
use crate::loader::{load, map_handle, LoadSpec};
use crate::objects::decide_test::types as tt;
use crate::rules::{RuleIndex, RuleMaps};
use libbpf_rs::{MapCore, MapFlags, MapHandle, Object};
use napi::bindgen_prelude::{BigInt, Buffer};
use napi_derive::napi;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::sync::Mutex;

/// One decision request (see struct rp_test_input in bpf/decide_test.bpf.c).
#[napi(object)]
pub struct DecideInput {
    pub workload: BigInt,
    /// "file" | "process" | "network" | "capability"
    pub category: String,
    /// RAMPART_SLOT_WRITE(1) | OWNER(2) | TTY(4).
    pub slot: u32,
    pub path: Option<Buffer>,
    pub truncated: Option<bool>,
    /// rampart_hash_key(FNV-1a(source path)); 0n / absent = none.
    pub source_hash: Option<BigInt>,
    pub ip_protocol: Option<u32>,
    pub sock_type: Option<u32>,
    /// Capability number; absent = unknown.
    pub capability: Option<i32>,
    /// Run the program this many times (cost measurement). Default 1.
    pub repeat: Option<u32>,
}

/// The kernel's decision (struct rp_decision).
#[napi(object)]
pub struct DecideOutput {
    /// 1 Allow, 2 Audit, 3 Block.
    pub verdict: u32,
    pub rule_id: u32,
    /// 0 none, 1 file, 2 network, 3 capabilities.
    pub posture: u32,
    pub would_block: bool,
    pub truncated: bool,
    /// Average duration of one run in nanoseconds (BPF_PROG_TEST_RUN's own measurement).
    pub duration_ns: f64,
}

struct State {
    obj: Object,
    maps: RuleMaps<MapHandle>,
    index: RuleIndex,
    input: MapHandle,
    output: MapHandle,
    marker: u32,
    pin_dir: PathBuf,
}

#[napi]
pub struct DecideHarness {
    st: Mutex<Option<State>>,
}

fn u64_of(v: &BigInt) -> NResult<u64> {
    let (signed, value, lossless) = v.get_u64();
    if signed || !lossless {
        return Err(NativeError::new(Code::InvalidArg, "expected a non-negative 64-bit bigint"));
    }
    Ok(value)
}

impl State {
    fn decide(&mut self, i: &DecideInput) -> NResult<DecideOutput> {
        let mut buf = vec![0u8; size_of::<tt::rp_test_input>()];
        let put32 = |b: &mut [u8], off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        buf[offset_of!(tt::rp_test_input, workload)..][..8].copy_from_slice(&u64_of(&i.workload)?.to_ne_bytes());
        let src = match &i.source_hash {
            Some(s) => u64_of(s)?,
            None => 0,
        };
        buf[offset_of!(tt::rp_test_input, source_hash)..][..8].copy_from_slice(&src.to_ne_bytes());
        let cat = match i.category.as_str() {
            "file" => 0,
            "process" => 1,
            "network" => 2,
            "capability" => 3,
            other => return Err(NativeError::new(Code::InvalidArg, format!("category: unknown {other:?}"))),
        };
        put32(&mut buf, offset_of!(tt::rp_test_input, category), cat);
        put32(&mut buf, offset_of!(tt::rp_test_input, slot), i.slot & 7);
        put32(&mut buf, offset_of!(tt::rp_test_input, ip_protocol), i.ip_protocol.unwrap_or(0));
        put32(&mut buf, offset_of!(tt::rp_test_input, sock_type), i.sock_type.unwrap_or(0));
        put32(&mut buf, offset_of!(tt::rp_test_input, capability), i.capability.unwrap_or(-1) as u32);
        let p = i.path.as_ref().map(|b| b.to_vec()).unwrap_or_default();
        let plen = p.len();
        let n = plen.min(4096);
        let poff = offset_of!(tt::rp_test_input, path);
        buf[poff..poff + n.min(4095)].copy_from_slice(&p[..n.min(4095)]);
        put32(&mut buf, offset_of!(tt::rp_test_input, path_len), plen.min(4096) as u32);
        put32(&mut buf, offset_of!(tt::rp_test_input, truncated), i.truncated.unwrap_or(false) as u32);
        self.marker = self.marker.wrapping_add(1);
        put32(&mut buf, offset_of!(tt::rp_test_input, repeat_marker), self.marker);
        self.input.update(&0u32.to_ne_bytes(), &buf, MapFlags::ANY).map_err(|e| NativeError::bpf("writing rp_test_in", &e))?;
        // raw_tp test runs take no repeat count: repeated runs (cost) use the tc twin.
        let repeat = i.repeat.unwrap_or(1);
        let name = if repeat > 1 { "rp_bench_decide" } else { "rp_test_decide" };
        let prog = self
            .obj
            .progs_mut()
            .find(|p| p.name() == name)
            .ok_or_else(|| NativeError::new(Code::Internal, format!("{name} missing")))?;
        let pkt = [0u8; 64];
        let input = if repeat > 1 {
            libbpf_rs::ProgramInput { data_in: Some(&pkt[..]), repeat, ..Default::default() }
        } else {
            libbpf_rs::ProgramInput::default()
        };
        let out = prog.test_run(input).map_err(|e| NativeError::bpf("BPF_PROG_TEST_RUN", &e))?;
        if out.return_value != 0 {
            return Err(NativeError::new(Code::Internal, format!("rp_test_decide returned {}", out.return_value)));
        }
        let o = self
            .output
            .lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
            .map_err(|e| NativeError::bpf("reading rp_test_out", &e))?
            .ok_or_else(|| NativeError::new(Code::Internal, "rp_test_out empty"))?;
        let m = u32::from_ne_bytes(o[offset_of!(tt::rp_test_output, marker)..][..4].try_into().unwrap());
        if m != self.marker {
            return Err(NativeError::new(Code::Internal, "rp_test_out not written by this run"));
        }
        let d = offset_of!(tt::rp_test_output, d);
        Ok(DecideOutput {
            verdict: o[d] as u32,
            posture: o[d + 1] as u32,
            would_block: o[d + 2] != 0,
            truncated: o[d + 3] != 0,
            rule_id: u32::from_ne_bytes(o[d + 4..d + 8].try_into().unwrap()),
            duration_ns: out.duration.as_nanos() as f64,
        })
    }
}

#[napi]
impl DecideHarness {
    /// Load bpf/decide_test.bpf.c with its rule maps pinned under `pinDir` (keep it apart
    /// from a live daemon's pin dir). Remove with close().
    #[napi(factory)]
    pub fn open(pin_dir: String) -> napi::Result<DecideHarness, String> {
        let pin = PathBuf::from(pin_dir);
        crate::loader::ensure_mounts(&pin)?;
        let obj = load(&LoadSpec {
            name: "rp_decide_test",
            bytes: crate::objects::decide_test::OBJECT,
            pin_dir: &pin,
            ring_bytes: None,
            skip_programs: &[],
            only_programs: &[],
            rodata: &[],
        })?;
        let maps = RuleMaps {
            workloads: map_handle(&obj, "rampart_workloads")?,
            rules: map_handle(&obj, "rampart_rules")?,
            glob_anchors: map_handle(&obj, "rampart_glob_anchors")?,
            globs: map_handle(&obj, "rampart_globs")?,
            applied: crate::loader::applied_map(&pin)?,
        };
        let mut index = RuleIndex::default();
        maps.adopt(&mut index)?;
        let input = map_handle(&obj, "rp_test_in")?;
        let output = map_handle(&obj, "rp_test_out")?;
        Ok(DecideHarness { st: Mutex::new(Some(State { obj, maps, index, input, output, marker: 0, pin_dir: pin })) })
    }

    /// Apply a rule set (same generation swap as Enforcer.apply, synchronously).
    #[napi]
    pub fn apply(&self, workload: BigInt, rule_set: crate::RuleSetJs) -> napi::Result<u32, String> {
        let wl = u64_of(&workload)?;
        let mut g = self.st.lock().unwrap_or_else(|e| e.into_inner());
        let st = g.as_mut().ok_or_else(|| NativeError::new(Code::NotRunning, "harness closed"))?;
        let rs: RuleSet = rule_set.to_codec();
        let State { maps, index, .. } = st;
        Ok(maps.apply(index, wl, &rs, "")?.generation)
    }

    /// Drop a workload's rules.
    #[napi]
    pub fn remove(&self, workload: BigInt) -> napi::Result<bool, String> {
        let wl = u64_of(&workload)?;
        let mut g = self.st.lock().unwrap_or_else(|e| e.into_inner());
        let st = g.as_mut().ok_or_else(|| NativeError::new(Code::NotRunning, "harness closed"))?;
        let State { maps, index, .. } = st;
        Ok(maps.remove(index, wl)?)
    }

    /// Run the kernel decision for one input.
    #[napi]
    pub fn decide(&self, input: DecideInput) -> napi::Result<DecideOutput, String> {
        let mut g = self.st.lock().unwrap_or_else(|e| e.into_inner());
        let st = g.as_mut().ok_or_else(|| NativeError::new(Code::NotRunning, "harness closed"))?;
        Ok(st.decide(&input)?)
    }

    /// Unload and remove the pins.
    #[napi]
    pub fn close(&self) -> napi::Result<(), String> {
        if let Some(st) = self.st.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let pin = st.pin_dir.clone();
            drop(st);
            crate::loader::remove_pins(&pin)?;
        }
        Ok(())
    }
}
