// SPDX-License-Identifier: Apache-2.0
//
// probe(): what this kernel supports, found by doing. Each canary program of
// bpf/canary.bpf.c is loaded on its own; the tracepoint and LSM canaries are also attached
// and triggered, so "supported" means "worked here", and "unsupported" carries the errno.
use crate::error::{Code, NativeError};
use crate::loader::{load, LoadSpec};
use crate::objects::canary;
use libbpf_rs::{MapCore, MapFlags};
use std::mem::offset_of;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Outcome of one capability check.
#[napi_derive::napi(object)]
#[derive(Debug, Clone)]
pub struct Support {
    pub supported: bool,
    /// Why not (e.g. "EPERM on load"), or a note.
    pub reason: Option<String>,
    /// Stable error code when unsupported (ERR_BPF_PERM, ERR_LSM_UNAVAILABLE, ...).
    pub code: Option<String>,
}

impl Support {
    fn yes() -> Support {
        Support { supported: true, reason: None, code: None }
    }
    fn no(code: Code, reason: impl Into<String>) -> Support {
        Support { supported: false, reason: Some(reason.into()), code: Some(code.as_str().into()) }
    }
    fn from_err(e: &NativeError, code_override: Option<Code>) -> Support {
        let errno = errno_name(&e.message);
        let code = code_override.unwrap_or(e.code);
        Support::no(code, format!("unsupported: {errno} ({})", e.message))
    }
}

fn errno_name(msg: &str) -> &'static str {
    if msg.contains("Operation not permitted") || msg.contains("EPERM") {
        "EPERM"
    } else if msg.contains("Permission denied") {
        "EACCES"
    } else if msg.contains("Invalid argument") {
        "EINVAL"
    } else if msg.contains("not supported") || msg.contains("Not supported") {
        "EOPNOTSUPP"
    } else if msg.contains("No such file") {
        "ENOENT"
    } else {
        "error"
    }
}

/// What this kernel supports.
#[napi_derive::napi(object)]
#[derive(Debug, Clone)]
pub struct ProbeResult {
    /// `uname -r`.
    pub kernel: String,
    /// /sys/kernel/btf/vmlinux exists (CO-RE possible).
    pub btf: bool,
    /// Active LSMs from /sys/kernel/security/lsm (empty if securityfs is not mounted).
    pub lsms: Vec<String>,
    /// "bpf" is in the active LSM list (necessary, not sufficient, for BPF-LSM).
    pub bpf_lsm_listed: bool,
    /// tp/ program load + attach + trigger.
    pub tracepoint: Support,
    /// BPF ring buffer: records from the tracepoint canary reached user space.
    pub ringbuf: Support,
    /// BPF_PROG_TEST_RUN on a raw_tracepoint program (the decision-logic test harness).
    pub test_run: Support,
    /// cgroup_skb program load.
    pub cgroup_skb: Support,
    /// lsm/file_open program load + attach + trigger: real BPF-LSM enforcement possible.
    pub lsm: Support,
    /// capability:cap_capable tracepoint exists (Linux >= 6.14).
    pub cap_capable_tracepoint: bool,
    /// bpffs mounted at /sys/fs/bpf (pinning possible).
    pub bpffs: bool,
}

fn temp_pin_dir() -> PathBuf {
    std::env::temp_dir().join(format!("rampart-probe-{}", std::process::id()))
}

fn spec<'a>(pin: &'a Path, only: &'a [&'a str], rodata: &'a [(usize, Vec<u8>)]) -> LoadSpec<'a> {
    LoadSpec { name: "rp_canary", bytes: canary::OBJECT, pin_dir: pin, ring_bytes: None, skip_programs: &[], only_programs: only, rodata }
}

fn hits(obj: &libbpf_rs::Object, idx: u32) -> u64 {
    for m in obj.maps() {
        if m.name() == "canary_hits" {
            if let Ok(Some(v)) = m.lookup(&idx.to_ne_bytes(), MapFlags::ANY) {
                return u64::from_ne_bytes(v[..8].try_into().unwrap());
            }
        }
    }
    0
}

fn probe_tracepoint(pin: &Path, rodata: &[(usize, Vec<u8>)]) -> (Support, Support) {
    let obj = match load(&spec(pin, &["canary_tp"], rodata)) {
        Ok(o) => o,
        Err(e) => {
            let s = Support::from_err(&e, None);
            return (s.clone(), s);
        }
    };
    let prog = obj.progs_mut().find(|p| p.name() == "canary_tp");
    let link = match prog.map(|p| p.attach()) {
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            let s = Support::from_err(&NativeError::bpf("attaching tp canary", &e), None);
            return (s.clone(), s);
        }
        None => return (Support::no(Code::Internal, "canary_tp missing"), Support::no(Code::Internal, "canary_tp missing")),
    };
    let got = std::cell::Cell::new(0u32);
    let ring = obj.maps().find(|m| m.name() == "canary_ring");
    let rb = ring.and_then(|r| {
        let mut b = libbpf_rs::RingBufferBuilder::new();
        b.add(&r, |d: &[u8]| {
            if d.len() >= 8 && u64::from_ne_bytes(d[..8].try_into().unwrap()) == 0x52414d50 {
                got.set(got.get() + 1);
            }
            0
        })
        .ok()?;
        b.build().ok()
    });
    unsafe { libc::getppid() };
    unsafe { libc::getppid() };
    let tp = if hits(&obj, 0) >= 2 { Support::yes() } else { Support::no(Code::Unsupported, "attached but never fired") };
    let ringbuf = match rb {
        Some(rb) => {
            let _ = rb.poll(Duration::from_millis(100));
            drop(rb);
            if got.get() >= 2 {
                Support::yes()
            } else {
                Support::no(Code::Unsupported, format!("{} of 2 ring records arrived", got.get()))
            }
        }
        None => Support::no(Code::Unsupported, "ring buffer consumer setup failed"),
    };
    drop(link);
    (tp, ringbuf)
}

fn probe_lsm(pin: &Path, rodata: &[(usize, Vec<u8>)]) -> Support {
    let obj = match load(&spec(pin, &["canary_lsm"], rodata)) {
        Ok(o) => o,
        Err(e) => return Support::from_err(&e, Some(Code::LsmUnavailable)),
    };
    let Some(prog) = obj.progs_mut().find(|p| p.name() == "canary_lsm") else {
        return Support::no(Code::Internal, "canary_lsm missing");
    };
    let link = match prog.attach() {
        Ok(l) => l,
        Err(e) => return Support::from_err(&NativeError::bpf("attaching lsm canary", &e), Some(Code::LsmUnavailable)),
    };
    let _ = std::fs::File::open("/proc/self/stat");
    let n = hits(&obj, 1);
    drop(link);
    if n > 0 {
        Support::yes()
    } else {
        Support::no(Code::LsmUnavailable, "attached but file_open never reached the program (bpf not in the active LSM list?)")
    }
}

fn probe_load_only(pin: &Path, prog: &str) -> libbpf_rs::Result<libbpf_rs::Object> {
    load(&spec(pin, &[prog], &[])).map_err(|e| libbpf_rs::Error::from(std::io::Error::other(e.to_string())))
}

fn probe_test_run(pin: &Path) -> Support {
    let obj = match load(&spec(pin, &["canary_test_run"], &[])) {
        Ok(o) => o,
        Err(e) => return Support::from_err(&e, None),
    };
    let Some(p) = obj.progs_mut().find(|p| p.name() == "canary_test_run") else {
        return Support::no(Code::Internal, "canary_test_run missing");
    };
    let input = libbpf_rs::ProgramInput::default();
    match p.test_run(input) {
        Ok(out) if out.return_value == 42 => Support::yes(),
        Ok(out) => Support::no(Code::Unsupported, format!("test run returned {}", out.return_value)),
        Err(e) => Support::from_err(&NativeError::bpf("BPF_PROG_TEST_RUN", &e), None),
    }
}

/// Run every canary. Never fails: every problem is a typed "unsupported".
pub fn probe() -> ProbeResult {
    let pin = temp_pin_dir();
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut uts) };
    let kernel = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) }.to_string_lossy().into_owned();
    let lsms: Vec<String> = std::fs::read_to_string("/sys/kernel/security/lsm")
        .map(|s| s.trim().split(',').filter(|x| !x.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    let tgid = std::process::id();
    let rodata = vec![(offset_of!(canary::types::rodata, canary_tgid), tgid.to_ne_bytes().to_vec())];
    let _ = crate::loader::ensure_mounts(&pin);
    let (tracepoint, ringbuf) = probe_tracepoint(&pin, &rodata);
    let lsm = probe_lsm(&pin, &rodata);
    let test_run = probe_test_run(&pin);
    let cgroup_skb = match probe_load_only(&pin, "canary_skb") {
        Ok(_) => Support::yes(),
        Err(e) => Support::from_err(&NativeError::new(Code::Unsupported, e.to_string()), None),
    };
    let _ = std::fs::remove_dir_all(&pin);
    ProbeResult {
        kernel,
        btf: Path::new("/sys/kernel/btf/vmlinux").exists(),
        bpf_lsm_listed: lsms.iter().any(|l| l == "bpf"),
        lsms,
        tracepoint,
        ringbuf,
        test_run,
        cgroup_skb,
        lsm,
        cap_capable_tracepoint: cap_capable_tracepoint(),
        bpffs: Path::new("/sys/fs/bpf").is_dir(),
    }
}

/// Does capability:cap_capable exist (tracefs or the kernel's BTF)?
pub fn cap_capable_tracepoint() -> bool {
    for base in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        if Path::new(base).join("events/capability/cap_capable").exists() {
            return true;
        }
    }
    false
}
