// SPDX-License-Identifier: Apache-2.0
//! Rampart native core: loads Rampart's BPF objects (bpf/), applies compiled rule sets to the
//! kernel's rule maps with a generation swap, and streams kernel events to JavaScript.
//!
//! This file is the napi surface only: argument conversion and error codes. The logic lives
//! in `rules` (generation swap), `codec` (pure encoding), `loader` (libbpf objects, pins,
//! link adoption), `owner` (event thread) and `probe` (capability canaries).
#![deny(clippy::all)]

pub mod codec;
pub mod error;
pub mod layout;
pub mod loader;
pub mod owner;
pub mod probe;
pub mod rules;
pub mod testrun;

pub mod objects {
    include!(concat!(env!("OUT_DIR"), "/objects.rs"));
}

use crate::codec::sum_percpu;
use crate::error::{Code, NResult, NativeError};
use crate::loader::{attach_all, ensure_mounts, load, map_handle, LoadSpec};
use crate::owner::{EventsFn, Pipeline, PipelineOptions, UserCounters};
use crate::rules::{KvMap, RuleIndex, RuleMaps};
use libbpf_rs::{Link, MapCore, MapFlags, MapHandle, Object};
use napi::bindgen_prelude::{AsyncTask, BigInt, Buffer};
use napi::{Env, JsError, Task};
use napi_derive::napi;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};



fn to_u64(v: &BigInt, what: &str) -> NResult<u64> {
    let (signed, value, lossless) = v.get_u64();
    if signed || !lossless {
        return Err(NativeError::new(Code::InvalidArg, format!("{what}: must be a non-negative 64-bit bigint")));
    }
    Ok(value)
}

/// What this kernel supports (loads, attaches and triggers a canary of each program type).
#[napi]
pub fn probe() -> probe::ProbeResult {
    probe::probe()
}

/// Drain libbpf's own log lines buffered since the last call (never printed to stderr).
#[napi]
pub fn take_libbpf_log() -> Vec<String> {
    loader::take_log()
}

/// Remove every pin under `pinDir` (links first: detaches the programs). Returns pins removed.
#[napi]
pub fn remove_pins(pin_dir: String) -> napi::Result<u32, String> {
    Ok(loader::remove_pins(Path::new(&pin_dir))?)
}

/// Options of Enforcer.start().
#[napi(object)]
pub struct StartOptions {
    /// Load the system monitor (tracepoints; works on every supported kernel). Default false.
    pub monitor: Option<bool>,
    /// Load the BPF-LSM enforcer (needs a kernel that loads LSM programs). Default false.
    pub enforcer: Option<bool>,
    /// Load the benchmark event generator (bench/ only). Default false.
    pub emitter: Option<bool>,
    /// Where maps and links are pinned. Default /sys/fs/bpf/rampart.
    pub pin_dir: Option<String>,
    /// Ring buffer size in bytes (power of two, >= 4096). Default 8 MiB. Must match an
    /// existing pinned ring, or start fails with ERR_PIN_MISMATCH.
    pub ring_bytes: Option<u32>,
    /// Batches waiting in Node's queue before records are dropped (counted). Default 8: Node
    /// drains its whole queue in one go, so this also bounds how long a burst can hold the
    /// JS thread.
    pub max_queue: Option<u32>,
    /// Records per batch at most. Default 4096.
    pub max_batch: Option<u32>,
    /// Per-workload alert limit per second (0 = unlimited). Default 0.
    pub max_alerts_per_sec: Option<u32>,
    /// Seconds alerts stay dropped after the limit is hit. Default 30.
    pub throttle_sec: Option<u32>,
}

/// What start() loaded.
#[napi(object)]
pub struct LoadedInfo {
    pub objects: Vec<String>,
    pub pin_dir: String,
    /// Programs not attached (optional hooks missing on this kernel), with the reason.
    pub skipped: Vec<String>,
    /// Stale rule keys deleted while adopting maps pinned by an earlier daemon.
    pub adopted_stale_entries: u32,
}

/// A compiled rule set for one workload (bpf/include/rules.h layouts, host byte order).
#[napi(object, js_name = "RuleSet")]
pub struct RuleSetJs {
    /// struct rampart_workload (32 bytes); its generation field is filled in by apply().
    pub workload: Buffer,
    /// (struct rampart_rule_key, struct rampart_rule_val) pairs, 112 bytes each.
    pub rules: Option<Buffer>,
    /// (struct rampart_rule_key, struct rampart_glob_anchor) pairs, 40 bytes each.
    pub glob_anchors: Option<Buffer>,
    /// (struct rampart_glob_key, struct rampart_glob) pairs, 4168 bytes each.
    pub globs: Option<Buffer>,
}

impl RuleSetJs {
    pub(crate) fn to_codec(&self) -> codec::RuleSet {
        let b = |x: &Option<Buffer>| x.as_ref().map(|b| b.to_vec()).unwrap_or_default();
        codec::RuleSet { workload: self.workload.to_vec(), rules: b(&self.rules), glob_anchors: b(&self.glob_anchors), globs: b(&self.globs) }
    }
}

/// Result of apply().
#[napi(object)]
pub struct ApplyResult {
    pub generation: u32,
    pub previous_generation: Option<u32>,
    pub entries: u32,
    pub removed_entries: u32,
}

/// A workload with a live rule set (after a restart: what the earlier daemon applied).
#[napi(object)]
pub struct AppliedWorkload {
    pub workload: BigInt,
    pub generation: u32,
    pub entries: u32,
    /// The tag given to apply() (the artifact's content hash).
    pub tag: String,
}

/// Kernel-side counters (summed over CPUs; see enum rp_stat in bpf/include/events.h).
#[napi(object)]
pub struct KernelCounters {
    pub events: f64,
    pub ringbuf_full: f64,
    pub throttled: f64,
    pub path_truncated: f64,
    pub scratch_miss: f64,
    pub denied: f64,
    pub audited: f64,
    pub fail_closed: f64,
    pub decisions: f64,
    pub args_miss: f64,
}

/// User-space counters of the event pipeline.
#[napi(object)]
pub struct PipelineCounters {
    /// Records read from the ring.
    pub received: f64,
    /// Records handed to the JS callback.
    pub delivered: f64,
    pub batches: f64,
    /// Records dropped because max_queue batches were already waiting (or the TSFN refused).
    pub queue_full: f64,
    pub malformed: f64,
}

#[napi(object)]
pub struct MapFill {
    pub name: String,
    pub entries: u32,
    pub capacity: u32,
}

#[napi(object)]
pub struct Stats {
    pub kernel: KernelCounters,
    pub pipeline: PipelineCounters,
    pub maps: Vec<MapFill>,
}

/// Runtime settings (rp_settings map).
#[napi(object)]
pub struct Settings {
    pub max_alerts_per_sec: Option<u32>,
    pub throttle_sec: Option<u32>,
    /// Report every cgroup in the monitor (tests and benchmarks only).
    pub monitor_all: Option<bool>,
}

struct Inner {
    pin_dir: PathBuf,
    objects: Mutex<Vec<(String, Object)>>,
    links: Mutex<Vec<Link>>,
    rules: Option<Mutex<(RuleMaps<MapHandle>, RuleIndex)>>,
    stats: MapHandle,
    settings: MapHandle,
    scope: Option<MapHandle>,
    counters: Arc<UserCounters>,
    pipeline: Mutex<Option<Pipeline>>,
    stopped: AtomicBool,
}

/// A running Rampart kernel side: loaded objects, the rule maps and the event stream.
#[napi]
pub struct Enforcer {
    inner: Arc<Inner>,
    info: LoadedInfo,
}

fn settings_bytes(max: u32, throttle: u32, monitor_all: bool) -> Vec<u8> {
    let mut v = vec![0u8; std::mem::size_of::<objects::monitor::types::rp_settings>()];
    v[0..4].copy_from_slice(&max.to_ne_bytes());
    v[4..8].copy_from_slice(&throttle.to_ne_bytes());
    v[8..12].copy_from_slice(&(monitor_all as u32).to_ne_bytes());
    v[12..16].copy_from_slice(&host_mnt_ns().to_ne_bytes());
    v
}

/// Mount-namespace inum of PID 1: the namespace the host policy (workload key 0) covers.
fn host_mnt_ns() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/1/ns/mnt").map(|m| m.ino() as u32).unwrap_or(0)
}

fn start_inner(opts: &StartOptions, on_events: EventsFn) -> NResult<(Arc<Inner>, LoadedInfo)> {
    let pin_dir = PathBuf::from(opts.pin_dir.clone().unwrap_or_else(|| "/sys/fs/bpf/rampart".into()));
    ensure_mounts(&pin_dir)?;
    let want_monitor = opts.monitor.unwrap_or(false);
    let want_enforcer = opts.enforcer.unwrap_or(false);
    let want_emitter = opts.emitter.unwrap_or(false);
    if !want_monitor && !want_enforcer && !want_emitter {
        return Err(NativeError::new(Code::InvalidArg, "options: select at least one of monitor, enforcer, emitter"));
    }
    let ring = opts.ring_bytes;
    if let Some(r) = ring {
        if r < 4096 || !r.is_power_of_two() {
            return Err(NativeError::new(Code::InvalidArg, format!("options.ringBytes: {r} is not a power of two >= 4096")));
        }
    }
    let mut objects: Vec<(String, Object)> = Vec::new();
    let mut links = Vec::new();
    let mut skipped = Vec::new();
    let cap_tp = probe::cap_capable_tracepoint();
    let mut plan: Vec<(&str, &[u8], Vec<&str>)> = Vec::new();
    if want_enforcer {
        // path_* hooks exist only with CONFIG_SECURITY_PATH: leave out what the kernel lacks
        // (reported in `skipped`) rather than failing the whole object.
        let mut skip = vec![];
        let btf = libbpf_rs::btf::Btf::from_vmlinux().ok();
        for (prog, hook) in [
            ("rp_enf_path_unlink", "bpf_lsm_path_unlink"),
            ("rp_enf_path_rmdir", "bpf_lsm_path_rmdir"),
            ("rp_enf_path_mkdir", "bpf_lsm_path_mkdir"),
            ("rp_enf_path_rename", "bpf_lsm_path_rename"),
            ("rp_enf_path_chmod", "bpf_lsm_path_chmod"),
            ("rp_enf_path_link", "bpf_lsm_path_link"),
            ("rp_enf_path_link_file", "bpf_lsm_path_link"),
            ("rp_enf_path_link_exec", "bpf_lsm_path_link"),
        ] {
            let present = btf.as_ref().map(|b| b.type_by_name::<libbpf_rs::btf::types::Func>(hook).is_some()).unwrap_or(true);
            if !present {
                skip.push(prog);
                skipped.push(format!("{prog}: no {hook} in the kernel (CONFIG_SECURITY_PATH off)"));
            }
        }
        plan.push(("rp_enforcer", objects::enforcer::OBJECT, skip));
    }
    if want_monitor {
        let mut skip = vec![];
        if !cap_tp {
            skip.push("rp_mon_cap_capable");
            skipped.push("rp_mon_cap_capable: capability:cap_capable tracepoint absent (Linux < 6.14)".to_string());
        }
        plan.push(("rp_monitor", objects::monitor::OBJECT, skip));
    }
    if want_emitter {
        plan.push(("rp_emitter", objects::emitter::OBJECT, vec![]));
    }
    for (name, bytes, skip) in plan {
        let spec = LoadSpec { name, bytes, pin_dir: &pin_dir, ring_bytes: ring, skip_programs: &skip, only_programs: &[], rodata: &[] };
        let obj = load(&spec).map_err(|e| {
            if name == "rp_enforcer" && e.code == Code::BpfPerm && !e.message.contains("END PROG LOAD LOG") {
                NativeError::new(Code::LsmUnavailable, format!("BPF-LSM programs cannot be loaded on this kernel: {}", e.message))
            } else {
                e
            }
        })?;
        let optional = |p: &str| p.starts_with("rp_enf_path_") || p == "rp_mon_cap_capable";
        let (l, s) = attach_all(&obj, name, &pin_dir, &optional)?;
        links.extend(l);
        skipped.extend(s);
        objects.push((name.to_string(), obj));
    }
    let first = &objects[0].1;
    let stats = map_handle(first, "rp_stats")?;
    let settings = map_handle(first, "rp_settings_map")?;
    let events = map_handle(first, "rp_events")?;
    let scope = match objects.iter().find(|(n, _)| n == "rp_monitor") {
        Some((_, o)) => Some(map_handle(o, "rp_monitor_scope")?),
        None => None,
    };
    let mut adopted = 0;
    let rules = match objects.iter().find(|(n, _)| n == "rp_enforcer") {
        Some((_, o)) => {
            let maps = RuleMaps {
                workloads: map_handle(o, "rampart_workloads")?,
                rules: map_handle(o, "rampart_rules")?,
                glob_anchors: map_handle(o, "rampart_glob_anchors")?,
                globs: map_handle(o, "rampart_globs")?,
                applied: loader::applied_map(&pin_dir)?,
            };
            let mut ix = RuleIndex::default();
            adopted = maps.adopt(&mut ix)?;
            Some(Mutex::new((maps, ix)))
        }
        None => None,
    };
    // Settings the caller did not give keep their pinned values (a restarted daemon keeps what
    // the earlier one set); the host's mount namespace is always refreshed.
    {
        let cur = settings
            .lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
            .map_err(|e| NativeError::bpf("reading settings", &e))?
            .unwrap_or_else(|| vec![0; 16]);
        let u = |o: usize| u32::from_ne_bytes(cur[o..o + 4].try_into().unwrap());
        let v = settings_bytes(
            opts.max_alerts_per_sec.unwrap_or(u(0)),
            opts.throttle_sec.unwrap_or(if u(4) == 0 { 30 } else { u(4) }),
            u(8) != 0,
        );
        settings.update(&0u32.to_ne_bytes(), &v, MapFlags::ANY).map_err(|e| NativeError::bpf("writing settings", &e))?;
    }
    let counters = Arc::new(UserCounters::default());
    let pipeline = Pipeline::start(
        events,
        on_events,
        PipelineOptions { max_queue: opts.max_queue.unwrap_or(8) as usize, max_batch: opts.max_batch.unwrap_or(4096) },
        counters.clone(),
    )?;
    let info = LoadedInfo {
        objects: objects.iter().map(|(n, _)| n.clone()).collect(),
        pin_dir: pin_dir.display().to_string(),
        skipped,
        adopted_stale_entries: adopted,
    };
    let inner = Inner {
        pin_dir,
        objects: Mutex::new(objects),
        links: Mutex::new(links),
        rules,
        stats,
        settings,
        scope,
        counters,
        pipeline: Mutex::new(Some(pipeline)),
        stopped: AtomicBool::new(false),
    };
    Ok((Arc::new(inner), info))
}

impl Inner {
    fn check_running(&self) -> NResult<()> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(NativeError::new(Code::NotRunning, "enforcer stopped"));
        }
        Ok(())
    }
    fn rules(&self) -> NResult<&Mutex<(RuleMaps<MapHandle>, RuleIndex)>> {
        self.check_running()?;
        self.rules.as_ref().ok_or_else(|| NativeError::new(Code::NotRunning, "the enforcer object is not loaded (start with { enforcer: true })"))
    }
}

fn reject<T>(env: Env, e: NativeError) -> napi::Result<T> {
    let js = JsError::from(napi::Error::new(e.code.as_str().to_string(), e.message)).into_unknown(env);
    Err(napi::Error::from(js))
}

pub struct ApplyTask {
    inner: Arc<Inner>,
    workload: u64,
    rules: codec::RuleSet,
    tag: String,
}

impl Task for ApplyTask {
    type Output = NResult<rules::ApplyOutcome>;
    type JsValue = ApplyResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.inner.rules().and_then(|m| {
            let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
            let (maps, ix) = &mut *g;
            maps.apply(ix, self.workload, &self.rules, &self.tag)
        }))
    }
    fn resolve(&mut self, env: Env, out: Self::Output) -> napi::Result<ApplyResult> {
        match out {
            Ok(o) => Ok(ApplyResult {
                generation: o.generation,
                previous_generation: o.previous_generation,
                entries: o.entries,
                removed_entries: o.removed_entries,
            }),
            Err(e) => reject(env, e),
        }
    }
}

pub struct RemoveTask {
    inner: Arc<Inner>,
    workload: u64,
}

impl Task for RemoveTask {
    type Output = NResult<bool>;
    type JsValue = bool;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.inner.rules().and_then(|m| {
            let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
            let (maps, ix) = &mut *g;
            maps.remove(ix, self.workload)
        }))
    }
    fn resolve(&mut self, env: Env, out: Self::Output) -> napi::Result<bool> {
        match out {
            Ok(b) => Ok(b),
            Err(e) => reject(env, e),
        }
    }
}

fn fill(m: &MapHandle) -> MapFill {
    let entries = if m.map_type() == libbpf_rs::MapType::RingBuf { 0 } else { MapCore::keys(m).count() as u32 };
    MapFill { name: m.name().to_string_lossy().into_owned(), entries, capacity: m.max_entries() }
}

#[napi]
impl Enforcer {
    /// Load the selected objects (adopting maps and links pinned by an earlier daemon), and
    /// start delivering event batches to `onEvents`. Keep `onEvents` total: a throw inside
    /// it is fatal to the process.
    #[napi(factory)]
    pub fn start(
        options: StartOptions,
        #[napi(ts_arg_type = "(batch: EventBatch) => void")] on_events: EventsFn,
    ) -> napi::Result<Enforcer, String> {
        let (inner, info) = start_inner(&options, on_events)?;
        Ok(Enforcer { inner, info })
    }

    /// What start() loaded.
    #[napi(getter)]
    pub fn loaded(&self) -> LoadedInfo {
        LoadedInfo {
            objects: self.info.objects.clone(),
            pin_dir: self.info.pin_dir.clone(),
            skipped: self.info.skipped.clone(),
            adopted_stale_entries: self.info.adopted_stale_entries,
        }
    }

    /// Atomically replace the rule set of `workload` (cgroup id; 0n = the host) via a
    /// generation swap. Rejects with ERR_MAP_FULL (nothing changed) or ERR_INVALID_ARG.
    #[napi(ts_return_type = "Promise<ApplyResult>")]
    pub fn apply(&self, workload: BigInt, rule_set: RuleSetJs, tag: Option<String>) -> napi::Result<AsyncTask<ApplyTask>, String> {
        let wl = to_u64(&workload, "workload")?;
        let rs = rule_set.to_codec();
        rs.validate()?;
        Ok(AsyncTask::new(ApplyTask { inner: self.inner.clone(), workload: wl, rules: rs, tag: tag.unwrap_or_default() }))
    }

    /// Stop enforcing on `workload`. Resolves to whether anything was applied.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn remove(&self, workload: BigInt) -> napi::Result<AsyncTask<RemoveTask>, String> {
        let wl = to_u64(&workload, "workload")?;
        Ok(AsyncTask::new(RemoveTask { inner: self.inner.clone(), workload: wl }))
    }

    /// Every workload with a live rule set.
    #[napi]
    pub fn list(&self) -> napi::Result<Vec<AppliedWorkload>, String> {
        let m = self.inner.rules()?;
        let g = m.lock().unwrap_or_else(|e| e.into_inner());
        Ok(g.0
            .list()?
            .into_iter()
            .map(|a| AppliedWorkload { workload: BigInt::from(a.workload), generation: a.generation, entries: a.entries, tag: a.tag })
            .collect())
    }

    /// Report monitor events of cgroup `cgroupId` for the RP_VIS_* families in `visibility`
    /// (1 process, 2 file, 4 network, 8 capability).
    #[napi]
    pub fn set_monitor_scope(&self, cgroup_id: BigInt, visibility: u32) -> napi::Result<(), String> {
        self.inner.check_running()?;
        let id = to_u64(&cgroup_id, "cgroupId")?;
        let scope = self.inner.scope.as_ref().ok_or_else(|| NativeError::new(Code::NotRunning, "the monitor is not loaded"))?;
        let mut v = vec![0u8; 8];
        v[0..4].copy_from_slice(&visibility.to_ne_bytes());
        scope.put(&id.to_ne_bytes(), &v)?;
        Ok(())
    }

    /// Stop reporting cgroup `cgroupId`.
    #[napi]
    pub fn clear_monitor_scope(&self, cgroup_id: BigInt) -> napi::Result<(), String> {
        self.inner.check_running()?;
        let id = to_u64(&cgroup_id, "cgroupId")?;
        if let Some(scope) = &self.inner.scope {
            scope.del(&id.to_ne_bytes())?;
        }
        Ok(())
    }

    /// Update runtime settings (unset fields keep their current value).
    #[napi]
    pub fn set_settings(&self, s: Settings) -> napi::Result<(), String> {
        self.inner.check_running()?;
        let cur = self
            .inner
            .settings
            .lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
            .map_err(|e| NativeError::bpf("reading settings", &e))?
            .unwrap_or_else(|| vec![0; 16]);
        let u = |o: usize| u32::from_ne_bytes(cur[o..o + 4].try_into().unwrap());
        let v = settings_bytes(
            s.max_alerts_per_sec.unwrap_or(u(0)),
            s.throttle_sec.unwrap_or(u(4)),
            s.monitor_all.unwrap_or(u(8) != 0),
        );
        self.inner.settings.update(&0u32.to_ne_bytes(), &v, MapFlags::ANY).map_err(|e| NativeError::bpf("writing settings", &e))?;
        Ok(())
    }

    /// Benchmark generator (emitter object): every getppid() of process `tgid` writes
    /// `perCall` records. tgid 0 turns it off.
    #[napi]
    pub fn set_emitter(&self, tgid: u32, per_call: u32) -> napi::Result<(), String> {
        self.inner.check_running()?;
        let objs = self.inner.objects.lock().unwrap_or_else(|e| e.into_inner());
        let (_, o) = objs
            .iter()
            .find(|(n, _)| n == "rp_emitter")
            .ok_or_else(|| NativeError::new(Code::NotRunning, "the emitter is not loaded (start with { emitter: true })"))?;
        let m = map_handle(o, "rp_emit_ctl_map")?;
        let mut v = vec![0u8; 8];
        v[0..4].copy_from_slice(&tgid.to_ne_bytes());
        v[4..8].copy_from_slice(&per_call.to_ne_bytes());
        m.put(&0u32.to_ne_bytes(), &v)?;
        Ok(())
    }

    /// Counters: kernel (per cause), pipeline (user space), and map fill.
    #[napi]
    pub fn stats(&self) -> napi::Result<Stats, String> {
        let st = &self.inner.stats;
        let k = |i: u32| -> f64 {
            st.lookup_percpu(&i.to_ne_bytes(), MapFlags::ANY).ok().flatten().map(|v| sum_percpu(&v) as f64).unwrap_or(0.0)
        };
        let c = &self.inner.counters;
        let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64;
        let mut maps = Vec::new();
        if let Some(r) = &self.inner.rules {
            let g = r.lock().unwrap_or_else(|e| e.into_inner());
            maps.push(fill(&g.0.workloads));
            maps.push(fill(&g.0.rules));
            maps.push(fill(&g.0.glob_anchors));
            maps.push(fill(&g.0.globs));
        }
        if let Some(s) = &self.inner.scope {
            maps.push(fill(s));
        }
        Ok(Stats {
            kernel: KernelCounters {
                events: k(0),
                ringbuf_full: k(1),
                throttled: k(2),
                path_truncated: k(3),
                scratch_miss: k(4),
                denied: k(5),
                audited: k(6),
                fail_closed: k(7),
                decisions: k(8),
                args_miss: k(9),
            },
            pipeline: PipelineCounters {
                received: l(&c.received),
                delivered: l(&c.delivered),
                batches: l(&c.batches),
                queue_full: l(&c.queue_full),
                malformed: l(&c.malformed),
            },
            maps,
        })
    }

    /// Stop the event stream and release this process's handles. Pinned programs and maps
    /// stay in the kernel (enforcement survives; the next start() adopts them) unless
    /// `detach` is true, which unpins everything under the pin dir and detaches.
    #[napi]
    pub fn stop(&self, detach: Option<bool>) -> napi::Result<(), String> {
        if self.inner.stopped.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if let Some(mut p) = self.inner.pipeline.lock().unwrap_or_else(|e| e.into_inner()).take() {
            p.stop();
        }
        let links: Vec<Link> = std::mem::take(&mut *self.inner.links.lock().unwrap_or_else(|e| e.into_inner()));
        if detach.unwrap_or(false) {
            loader::remove_pins(&self.inner.pin_dir)?;
        }
        drop(links);
        self.inner.objects.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }
}

pub use owner::EventBatch;
