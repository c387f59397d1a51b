// SPDX-License-Identifier: Apache-2.0
//
// Loading BPF objects: libbpf log capture, pinning under a pin directory, and link adoption
// (a restarted daemon attaches its new programs first, then retires the links an earlier
// daemon pinned, so enforcement has no gap across a restart).
use crate::error::{Code, NResult, NativeError};
use libbpf_rs::{Link, MapCore, MapHandle, Object, ObjectBuilder, OpenObject, PrintLevel};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

// ---- libbpf log ---------------------------------------------------------------------------

static LOG: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
const LOG_LINES: usize = 400;

fn on_libbpf_print(level: PrintLevel, msg: String) {
    let mut q = LOG.lock().unwrap_or_else(|e| e.into_inner());
    for line in msg.lines() {
        if q.len() >= LOG_LINES {
            q.pop_front();
        }
        let lv = match level {
            PrintLevel::Warn => "warn",
            PrintLevel::Info => "info",
            PrintLevel::Debug => "debug",
        };
        q.push_back(format!("{lv}: {line}"));
    }
}

/// Route libbpf's own messages into our buffer (never to stderr).
pub fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        libbpf_rs::set_print(Some((PrintLevel::Info, on_libbpf_print)));
    });
}

/// Take (and clear) the buffered libbpf log.
pub fn take_log() -> Vec<String> {
    LOG.lock().unwrap_or_else(|e| e.into_inner()).drain(..).collect()
}

fn log_mark() -> usize {
    LOG.lock().unwrap_or_else(|e| e.into_inner()).len()
}

fn log_since(mark: usize) -> String {
    let q = LOG.lock().unwrap_or_else(|e| e.into_inner());
    q.iter().skip(mark.min(q.len())).cloned().collect::<Vec<_>>().join("\n")
}

// ---- mounts ---------------------------------------------------------------------------

const BPF_FS_MAGIC: i64 = 0xcafe4a11;
const TRACEFS_MAGIC: i64 = 0x74726163;

fn fs_magic(p: &Path) -> Option<i64> {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).ok()?;
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_type as i64)
}

fn mount_fs(fstype: &str, target: &str) -> bool {
    let t = std::ffi::CString::new(target).unwrap();
    let f = std::ffi::CString::new(fstype).unwrap();
    unsafe { libc::mount(f.as_ptr(), t.as_ptr(), f.as_ptr(), 0, std::ptr::null()) == 0 }
}

/// Make sure bpffs is mounted where pins go, and tracefs where libbpf looks for tracepoint
/// ids. Minimal node images (and the team's machines) may boot without either.
pub fn ensure_mounts(pin_dir: &Path) -> NResult<()> {
    let bpffs = Path::new("/sys/fs/bpf");
    if pin_dir.starts_with(bpffs) && fs_magic(bpffs) != Some(BPF_FS_MAGIC) && !mount_fs("bpf", "/sys/fs/bpf") {
        return Err(NativeError::new(
            Code::Unsupported,
            "bpffs is not mounted at /sys/fs/bpf and mounting it failed (mount -t bpf bpf /sys/fs/bpf)",
        ));
    }
    let tracing = Path::new("/sys/kernel/tracing");
    if fs_magic(tracing) != Some(TRACEFS_MAGIC) && tracing.is_dir() {
        let _ = mount_fs("tracefs", "/sys/kernel/tracing");
    }
    std::fs::create_dir_all(pin_dir)
        .map_err(|e| NativeError::new(Code::Internal, format!("creating pin dir {}: {e}", pin_dir.display())))?;
    Ok(())
}

// ---- objects --------------------------------------------------------------------------

/// Options applied to an object between open and load.
pub struct LoadSpec<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    /// Maps declared LIBBPF_PIN_BY_NAME are pinned (or reused) under <pin_dir>/maps.
    pub pin_dir: &'a Path,
    /// Size of the shared rp_events ring (power of two, multiple of the page size).
    pub ring_bytes: Option<u32>,
    /// Programs not to load (missing tracepoints on older kernels, ...).
    pub skip_programs: &'a [&'a str],
    /// Load only these programs (probe canaries); empty = all.
    pub only_programs: &'a [&'a str],
    /// Values for `const volatile` globals in .rodata: (byte offset, bytes).
    pub rodata: &'a [(usize, Vec<u8>)],
}

pub fn maps_dir(pin_dir: &Path) -> PathBuf {
    pin_dir.join("maps")
}

pub fn links_dir(pin_dir: &Path, object: &str) -> PathBuf {
    pin_dir.join("links").join(object)
}

fn open(spec: &LoadSpec) -> NResult<OpenObject> {
    init_logging();
    let mut b = ObjectBuilder::default();
    b.name(spec.name).map_err(|e| NativeError::bpf("naming object", &e))?;
    let md = maps_dir(spec.pin_dir);
    std::fs::create_dir_all(&md).map_err(|e| NativeError::new(Code::Internal, format!("{}: {e}", md.display())))?;
    b.pin_root_path(&md).map_err(|e| NativeError::bpf("setting pin root", &e))?;
    b.open_memory(spec.bytes).map_err(|e| NativeError::bpf(&format!("opening object {}", spec.name), &e))
}

/// Open, configure and load one object. Errors carry the tail of libbpf's log (verifier).
pub fn load(spec: &LoadSpec) -> NResult<Object> {
    let mut open = open(spec)?;
    for mut m in open.maps_mut() {
        if let (Some(n), "rp_events") = (spec.ring_bytes, m.name().to_string_lossy().as_ref()) {
            m.set_max_entries(n).map_err(|e| NativeError::bpf("sizing rp_events", &e))?;
        }
        if m.name().to_string_lossy().ends_with(".rodata") {
            if let Some(init) = m.initial_value_mut() {
                for (off, bytes) in spec.rodata {
                    if off + bytes.len() <= init.len() {
                        init[*off..off + bytes.len()].copy_from_slice(bytes);
                    }
                }
            }
        }
    }
    for mut p in open.progs_mut() {
        let name = p.name().to_string_lossy().to_string();
        let skip = spec.skip_programs.contains(&name.as_str())
            || (!spec.only_programs.is_empty() && !spec.only_programs.contains(&name.as_str()));
        if skip {
            p.set_autoload(false);
        }
    }
    let mark = log_mark();
    open.load().map_err(|e| NativeError::load(&format!("loading {}", spec.name), &e, &log_since(mark)))
}

/// Attach every loaded program of `obj`, pin the links under <pin_dir>/links/<object>/, and
/// retire links pinned there by an earlier daemon (after the new ones are attached).
/// Programs whose attach fails are reported, not fatal, when `optional` says so.
pub fn attach_all(
    obj: &Object,
    object: &str,
    pin_dir: &Path,
    optional: &dyn Fn(&str) -> bool,
) -> NResult<(Vec<Link>, Vec<String>)> {
    let dir = links_dir(pin_dir, object);
    std::fs::create_dir_all(&dir).map_err(|e| NativeError::new(Code::Internal, format!("{}: {e}", dir.display())))?;
    let mut links = Vec::new();
    let mut skipped = Vec::new();
    let mut attached_names = Vec::new();
    for p in obj.progs_mut() {
        if !p.autoload() {
            continue;
        }
        let name = p.name().to_string_lossy().to_string();
        let mark = log_mark();
        match p.attach() {
            Ok(mut link) => {
                let path = dir.join(&name);
                if path.exists() {
                    if let Ok(mut old) = Link::open(&path) {
                        let _ = old.unpin();
                        drop(old); // last reference: the earlier daemon's program detaches now
                    } else {
                        let _ = std::fs::remove_file(&path);
                    }
                }
                // Pinning keeps the program attached after this process exits.
                if let Err(e) = link.pin(&path) {
                    skipped.push(format!("{name}: attached but not pinned ({e})"));
                }
                attached_names.push(name);
                links.push(link);
            }
            Err(e) if optional(&name) => skipped.push(format!("{name}: {e} {}", log_since(mark).replace('\n', " | "))),
            Err(e) => {
                let code = if matches!(e.kind(), libbpf_rs::ErrorKind::PermissionDenied) { Code::BpfPerm } else { Code::Internal };
                return Err(NativeError::new(code, format!("attaching {object}/{name}: {e:#}")));
            }
        }
    }
    // Links of programs this build no longer has (renamed/removed): retire them too.
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for ent in rd.flatten() {
            let n = ent.file_name().to_string_lossy().to_string();
            if !attached_names.contains(&n) {
                if let Ok(mut old) = Link::open(ent.path()) {
                    let _ = old.unpin();
                } else {
                    let _ = std::fs::remove_file(ent.path());
                }
            }
        }
    }
    Ok((links, skipped))
}

/// A dup'ed handle on a map of a loaded object, usable from any thread.
pub fn map_handle(obj: &Object, name: &str) -> NResult<MapHandle> {
    for m in obj.maps() {
        if m.name() == name {
            return MapHandle::try_from(&m).map_err(|e| NativeError::bpf(&format!("dup of map {name}"), &e));
        }
    }
    Err(NativeError::new(Code::Internal, format!("object has no map {name}")))
}

/// The user-space bookkeeping map (rp_applied), created and pinned on first use.
pub fn applied_map(pin_dir: &Path) -> NResult<MapHandle> {
    let path = maps_dir(pin_dir).join("rp_applied");
    if path.exists() {
        return MapHandle::from_pinned_path(&path).map_err(|e| NativeError::bpf("opening pinned rp_applied", &e));
    }
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts { sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _, ..Default::default() };
    let mut m = MapHandle::create(
        libbpf_rs::MapType::Hash,
        Some("rp_applied"),
        8,
        crate::codec::APPLIED_VAL as u32,
        65536,
        &opts,
    )
    .map_err(|e| NativeError::bpf("creating rp_applied", &e))?;
    m.pin(&path).map_err(|e| NativeError::bpf("pinning rp_applied", &e))?;
    Ok(m)
}

/// Remove every pin under `pin_dir` (links first: that detaches the programs), then the dir.
/// Returns the number of pins removed.
pub fn remove_pins(pin_dir: &Path) -> NResult<u32> {
    fn walk(p: &Path, n: &mut u32) -> std::io::Result<()> {
        if p.is_dir() {
            let mut ents: Vec<_> = std::fs::read_dir(p)?.flatten().map(|e| e.path()).collect();
            // links/ before maps/
            ents.sort();
            for e in ents {
                walk(&e, n)?;
            }
            std::fs::remove_dir(p)?;
        } else {
            std::fs::remove_file(p)?;
            *n += 1;
        }
        Ok(())
    }
    let mut n = 0;
    if pin_dir.exists() {
        walk(pin_dir, &mut n).map_err(|e| NativeError::new(Code::Internal, format!("removing pins under {}: {e}", pin_dir.display())))?;
    }
    Ok(n)
}

/// KvMap over a libbpf map handle.
impl crate::rules::KvMap for MapHandle {
    fn get(&self, key: &[u8]) -> NResult<Option<Vec<u8>>> {
        self.lookup(key, libbpf_rs::MapFlags::ANY).map_err(|e| NativeError::bpf("map lookup", &e))
    }
    fn put(&self, key: &[u8], value: &[u8]) -> NResult<()> {
        self.update(key, value, libbpf_rs::MapFlags::ANY).map_err(|e| {
            let full = matches!(e.kind(), libbpf_rs::ErrorKind::TooBig | libbpf_rs::ErrorKind::OutOfMemory)
                || format!("{e}").contains("No space left");
            if full {
                NativeError::new(Code::MapFull, format!("{}: {e}", self.name().to_string_lossy()))
            } else {
                NativeError::bpf(&format!("update of {}", self.name().to_string_lossy()), &e)
            }
        })
    }
    fn del(&self, key: &[u8]) -> NResult<()> {
        match self.delete(key) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.kind(), libbpf_rs::ErrorKind::NotFound) => Ok(()),
            Err(e) => Err(NativeError::bpf(&format!("delete from {}", self.name().to_string_lossy()), &e)),
        }
    }
    fn keys(&self) -> NResult<Vec<Vec<u8>>> {
        Ok(MapCore::keys(self).collect())
    }
    fn capacity(&self) -> u32 {
        self.max_entries()
    }
}
