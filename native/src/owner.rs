// SPDX-License-Identifier: Apache-2.0
//
// The event pipeline thread: owns the ring-buffer consumer, batches raw records and hands
// each batch to JavaScript with one non-blocking threadsafe-function call. It never blocks
// on JS: when `max_queue` batches are already waiting in Node's queue (the JS thread is busy),
// records keep coalescing into the pending batch up to `max_batch`; beyond that the pending
// batch is dropped and counted (queue_full), and the next delivered batch says how many records
// were lost before it (droppedBefore). Both bounds also bound how long Node's threadsafe-function
// dispatch (which drains its whole queue in one go) can keep the JS thread from its timers.
use crate::codec::record_len;
use crate::error::{Code, NResult, NativeError};
use libbpf_rs::{MapHandle, RingBufferBuilder};
use napi::bindgen_prelude::Buffer;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// One batch of raw ring records (bpf/include/events.h), concatenated. Decode with
/// native/events.ts `decodeEvents`.
#[napi_derive::napi(object)]
pub struct EventBatch {
    /// Records back to back: struct rp_event + path_len + source_len bytes each.
    pub records: Buffer,
    /// Number of records in `records`.
    pub count: u32,
    /// Records dropped in user space (JS queue full) since the previous delivered batch.
    pub dropped_before: u32,
}

pub type EventsFn = ThreadsafeFunction<EventBatch, napi::Unknown<'static>, EventBatch, Status, false, false, 0>;

/// Counters kept in user space (kernel-side counters live in rp_stats).
#[derive(Default)]
pub struct UserCounters {
    pub received: AtomicU64,
    pub delivered: AtomicU64,
    pub batches: AtomicU64,
    pub queue_full: AtomicU64,
    pub malformed: AtomicU64,
    pub inflight: AtomicUsize,
    pub lost_pending: AtomicU64,
}

pub struct PipelineOptions {
    pub max_queue: usize,
    pub max_batch: u32,
}

pub struct Pipeline {
    stop: Arc<AtomicBool>,
    wake: Arc<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

/// Poll period of the ring (latency bound for events below the kernel's wake-up threshold).
const POLL_MS: i32 = 10;

struct Batcher {
    buf: Vec<u8>,
    count: u32,
    max_batch: u32,
    max_queue: usize,
    tsfn: Arc<EventsFn>,
    c: Arc<UserCounters>,
}

impl Batcher {
    fn push(&mut self, data: &[u8]) {
        self.c.received.fetch_add(1, Ordering::Relaxed);
        match record_len(data) {
            Ok(n) => {
                self.buf.extend_from_slice(&data[..n]);
                self.count += 1;
            }
            Err(_) => {
                self.c.malformed.fetch_add(1, Ordering::Relaxed);
            }
        }
        if self.count >= self.max_batch || self.buf.len() >= (8 << 20) {
            self.flush();
        }
    }

    /// Hand the pending batch to JS if the queue has room; returns whether data is still pending.
    fn flush(&mut self) -> bool {
        if self.count == 0 {
            return false;
        }
        if self.c.inflight.load(Ordering::Acquire) >= self.max_queue {
            if self.count < self.max_batch {
                return true; // JS is busy: keep coalescing, retry on the next wake-up
            }
            self.c.queue_full.fetch_add(self.count as u64, Ordering::Relaxed);
            self.c.lost_pending.fetch_add(self.count as u64, Ordering::Relaxed);
            self.buf.clear();
            self.count = 0;
            return false;
        }
        let count = self.count;
        let records = std::mem::take(&mut self.buf);
        self.count = 0;
        self.buf.reserve(records.len());
        let lost = self.c.lost_pending.swap(0, Ordering::Relaxed);
        self.c.inflight.fetch_add(1, Ordering::AcqRel);
        let done = self.c.clone();
        let batch = EventBatch { records: records.into(), count, dropped_before: lost.min(u32::MAX as u64) as u32 };
        let st = self.tsfn.call_with_return_value(batch, ThreadsafeFunctionCallMode::NonBlocking, move |_, _| {
            done.inflight.fetch_sub(1, Ordering::AcqRel);
            Ok(())
        });
        if st == Status::Ok {
            self.c.delivered.fetch_add(count as u64, Ordering::Relaxed);
            self.c.batches.fetch_add(1, Ordering::Relaxed);
        } else {
            self.c.inflight.fetch_sub(1, Ordering::AcqRel);
            self.c.queue_full.fetch_add(count as u64, Ordering::Relaxed);
            self.c.lost_pending.fetch_add(count as u64 + lost, Ordering::Relaxed);
        }
        false
    }
}

fn eventfd() -> NResult<OwnedFd> {
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(NativeError::new(Code::Internal, format!("eventfd: {}", std::io::Error::last_os_error())));
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Pipeline {
    /// Start consuming `ring` (the rp_events map) on a new thread.
    pub fn start(ring: MapHandle, tsfn: EventsFn, opts: PipelineOptions, counters: Arc<UserCounters>) -> NResult<Pipeline> {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(eventfd()?);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<NResult<()>>();
        let (stop2, wake2) = (stop.clone(), wake.clone());
        let tsfn = Arc::new(tsfn);
        let thread = std::thread::Builder::new()
            .name("rampart-events".into())
            .spawn(move || {
                let batcher = RefCell::new(Batcher {
                    buf: Vec::with_capacity(1 << 20),
                    count: 0,
                    max_batch: opts.max_batch.max(1),
                    max_queue: opts.max_queue.max(1),
                    tsfn,
                    c: counters,
                });
                let mut b = RingBufferBuilder::new();
                if let Err(e) = b.add(&ring, |data: &[u8]| {
                    batcher.borrow_mut().push(data);
                    0
                }) {
                    let _ = ready_tx.send(Err(NativeError::bpf("ring buffer setup", &e)));
                    return;
                }
                let rb = match b.build() {
                    Ok(rb) => rb,
                    Err(e) => {
                        let _ = ready_tx.send(Err(NativeError::bpf("ring buffer setup", &e)));
                        return;
                    }
                };
                // Our own epoll set: the ring's epoll fd plus an eventfd that stop() signals,
                // so stopping never waits for a poll timeout.
                let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                let ep = unsafe { OwnedFd::from_raw_fd(ep) };
                for fd in [rb.epoll_fd(), wake2.as_raw_fd()] {
                    let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
                    unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
                }
                let _ = ready_tx.send(Ok(()));
                let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 2];
                let mut pending = false;
                while !stop2.load(Ordering::Acquire) {
                    // The kernel side wakes us only when 256 KiB are waiting (bpf/include/emit.h),
                    // so poll on a short timer: it bounds event latency and sizes the batches.
                    unsafe { libc::epoll_wait(ep.as_raw_fd(), evs.as_mut_ptr(), 2, if pending { 2 } else { POLL_MS }) };
                    let _ = rb.consume();
                    pending = batcher.borrow_mut().flush();
                }
                let _ = rb.consume();
                batcher.borrow_mut().flush();
                drop(rb);
            })
            .map_err(|e| NativeError::new(Code::Internal, format!("spawning event thread: {e}")))?;
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => Ok(Pipeline { stop, wake, thread: Some(thread) }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(NativeError::new(Code::Internal, "event thread did not start")),
        }
    }

    /// Drain what is in the ring, deliver it, and end the thread.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let one: u64 = 1;
        unsafe { libc::write(self.wake.as_raw_fd(), &one as *const u64 as *const libc::c_void, 8) };
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}
