// SPDX-License-Identifier: Apache-2.0
//
// Rule-set application with generation swap (bpf/include/rules.h): every rule key carries
// {workload, generation}; the kernel only follows the generation named in the workload's
// entry of rampart_workloads. apply() writes generation N+1 completely, flips that one entry
// (a single map update, atomic for the hooks), then deletes generation N. A failure before
// the flip deletes what was written and leaves generation N live: a half-applied rule set is
// never visible to the kernel.
//
// The maps sit behind `KvMap` so the protocol is tested without a kernel (tests below) and
// run for real against libbpf map handles (maps.rs).
use crate::codec::{key_scope, AppliedMeta, Entry, RuleMap, RuleSet};
use crate::error::{Code, NResult, NativeError};
use std::collections::HashMap;

/// The map operations the protocol needs.
pub trait KvMap {
    fn get(&self, key: &[u8]) -> NResult<Option<Vec<u8>>>;
    fn put(&self, key: &[u8], value: &[u8]) -> NResult<()>;
    fn del(&self, key: &[u8]) -> NResult<()>;
    fn keys(&self) -> NResult<Vec<Vec<u8>>>;
    fn capacity(&self) -> u32;
}

/// The five maps of one enforcer: the kernel's four (rules.h) plus our bookkeeping map.
pub struct RuleMaps<M: KvMap> {
    pub workloads: M,
    pub rules: M,
    pub glob_anchors: M,
    pub globs: M,
    pub applied: M,
}

/// What apply() did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    pub generation: u32,
    pub previous_generation: Option<u32>,
    pub entries: u32,
    pub removed_entries: u32,
}

/// One workload as found in the maps (Backend.list()).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedWorkload {
    pub workload: u64,
    pub generation: u32,
    pub entries: u32,
    pub tag: String,
}

/// Keys written per (workload, generation), so old generations are deleted without a scan.
/// Rebuilt from the maps by `adopt` after a restart.
#[derive(Debug, Default)]
pub struct RuleIndex {
    keys: HashMap<(u64, u32), Vec<(RuleMap, Vec<u8>)>>,
}

impl<M: KvMap> RuleMaps<M> {
    fn map(&self, m: RuleMap) -> &M {
        match m {
            RuleMap::Rules => &self.rules,
            RuleMap::GlobAnchors => &self.glob_anchors,
            RuleMap::Globs => &self.globs,
        }
    }

    fn live_generation(&self, workload: u64) -> NResult<Option<u32>> {
        Ok(self
            .workloads
            .get(&workload.to_ne_bytes())?
            .map(|v| u32::from_ne_bytes(v[0..4].try_into().unwrap())))
    }

    fn meta(&self, workload: u64) -> NResult<AppliedMeta> {
        Ok(self.applied.get(&workload.to_ne_bytes())?.map(|v| AppliedMeta::decode(&v)).unwrap_or_default())
    }

    /// Scan the rule maps once: index every key by (workload, generation) and delete keys of
    /// generations that are not live (left over by a daemon that died mid-apply). Returns the
    /// number of stale keys deleted.
    pub fn adopt(&self, index: &mut RuleIndex) -> NResult<u32> {
        index.keys.clear();
        let mut live: HashMap<u64, Option<u32>> = HashMap::new();
        let mut stale = 0;
        for m in RuleMap::ALL {
            for key in self.map(m).keys()? {
                let (wl, gen) = key_scope(&key);
                let lg = match live.get(&wl) {
                    Some(g) => *g,
                    None => {
                        let g = self.live_generation(wl)?;
                        live.insert(wl, g);
                        g
                    }
                };
                if lg == Some(gen) {
                    index.keys.entry((wl, gen)).or_default().push((m, key));
                } else {
                    self.map(m).del(&key)?;
                    stale += 1;
                }
            }
        }
        Ok(stale)
    }

    /// Apply `rs` to `workload` (generation swap; see the module comment).
    pub fn apply(&self, index: &mut RuleIndex, workload: u64, rs: &RuleSet, tag: &str) -> NResult<ApplyOutcome> {
        rs.validate()?;
        let prev = self.live_generation(workload)?;
        let mut meta = self.meta(workload)?;
        let mut gen = meta.next_generation.max(prev.map_or(1, |g| g.wrapping_add(1))).max(1);
        if Some(gen) == prev {
            gen = gen.wrapping_add(1).max(1);
        }
        // Reserve the generation before writing it, so a crash mid-write never makes a later
        // apply reuse (and then expose) a partly written generation.
        meta.next_generation = gen.wrapping_add(1).max(1);
        self.applied.put(&workload.to_ne_bytes(), &meta.encode())?;

        let entries = rs.entries(workload, gen);
        let mut written: Vec<(RuleMap, Vec<u8>)> = Vec::with_capacity(entries.len());
        for Entry { map, key, value } in entries {
            if let Err(e) = self.map(map).put(&key, &value) {
                for (m, k) in &written {
                    let _ = self.map(*m).del(k);
                }
                let e = if e.code == Code::MapFull {
                    NativeError::new(
                        Code::MapFull,
                        format!(
                            "{} is full ({} entries max) after {} of {} entries for workload {workload}; nothing changed",
                            map.name(),
                            self.map(map).capacity(),
                            written.len(),
                            rs.entry_count()
                        ),
                    )
                } else {
                    e
                };
                return Err(e);
            }
            written.push((map, key));
        }

        // The flip: one update of the workload entry makes generation `gen` live.
        if let Err(e) = self.workloads.put(&workload.to_ne_bytes(), &rs.workload_value(gen)) {
            for (m, k) in &written {
                let _ = self.map(*m).del(k);
            }
            return Err(e);
        }
        let n = written.len() as u32;
        index.keys.insert((workload, gen), written);
        meta.generation = gen;
        meta.entries = n;
        meta.tag = tag.to_string();
        self.applied.put(&workload.to_ne_bytes(), &meta.encode())?;

        let removed = match prev {
            Some(p) => self.delete_generation(index, workload, p)?,
            None => 0,
        };
        Ok(ApplyOutcome { generation: gen, previous_generation: prev, entries: n, removed_entries: removed })
    }

    fn delete_generation(&self, index: &mut RuleIndex, workload: u64, gen: u32) -> NResult<u32> {
        let keys = match index.keys.remove(&(workload, gen)) {
            Some(k) => k,
            None => {
                // Not indexed (should not happen after adopt): scan.
                let mut v = Vec::new();
                for m in RuleMap::ALL {
                    for key in self.map(m).keys()? {
                        if key_scope(&key) == (workload, gen) {
                            v.push((m, key));
                        }
                    }
                }
                v
            }
        };
        for (m, k) in &keys {
            self.map(*m).del(k)?;
        }
        Ok(keys.len() as u32)
    }

    /// Stop enforcing on `workload`: drop its workload entry first (the hooks stop looking),
    /// then its rules. Returns whether anything was there.
    pub fn remove(&self, index: &mut RuleIndex, workload: u64) -> NResult<bool> {
        let prev = self.live_generation(workload)?;
        if prev.is_some() {
            self.workloads.del(&workload.to_ne_bytes())?;
        }
        let gens: Vec<u32> = index.keys.keys().filter(|(w, _)| *w == workload).map(|(_, g)| *g).collect();
        for g in gens {
            self.delete_generation(index, workload, g)?;
        }
        if let Some(p) = prev {
            self.delete_generation(index, workload, p)?;
        }
        let had_meta = self.applied.get(&workload.to_ne_bytes())?.is_some();
        if had_meta {
            self.applied.del(&workload.to_ne_bytes())?;
        }
        Ok(prev.is_some() || had_meta)
    }

    /// Every workload with a live rule set.
    pub fn list(&self) -> NResult<Vec<AppliedWorkload>> {
        let mut out = Vec::new();
        for k in self.workloads.keys()? {
            let wl = u64::from_ne_bytes(k[..8].try_into().unwrap());
            let gen = self.live_generation(wl)?.unwrap_or(0);
            let meta = self.meta(wl)?;
            out.push(AppliedWorkload { workload: wl, generation: gen, entries: meta.entries, tag: meta.tag });
        }
        out.sort_by_key(|a| a.workload);
        Ok(out)
    }
}

#[cfg(test)]
pub mod fake {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// In-memory map with a capacity, logging every operation (to check ordering).
    pub struct FakeMap {
        pub name: &'static str,
        pub cap: usize,
        pub data: RefCell<BTreeMap<Vec<u8>, Vec<u8>>>,
        pub log: std::rc::Rc<RefCell<Vec<String>>>,
    }

    impl KvMap for FakeMap {
        fn get(&self, key: &[u8]) -> NResult<Option<Vec<u8>>> {
            Ok(self.data.borrow().get(key).cloned())
        }
        fn put(&self, key: &[u8], value: &[u8]) -> NResult<()> {
            let mut d = self.data.borrow_mut();
            if !d.contains_key(key) && d.len() >= self.cap {
                return Err(NativeError::new(Code::MapFull, "E2BIG"));
            }
            d.insert(key.to_vec(), value.to_vec());
            self.log.borrow_mut().push(format!("put {}", self.name));
            Ok(())
        }
        fn del(&self, key: &[u8]) -> NResult<()> {
            self.data.borrow_mut().remove(key);
            self.log.borrow_mut().push(format!("del {}", self.name));
            Ok(())
        }
        fn keys(&self) -> NResult<Vec<Vec<u8>>> {
            Ok(self.data.borrow().keys().cloned().collect())
        }
        fn capacity(&self) -> u32 {
            self.cap as u32
        }
    }

    pub fn maps(rule_cap: usize) -> (RuleMaps<FakeMap>, std::rc::Rc<RefCell<Vec<String>>>) {
        let log = std::rc::Rc::new(RefCell::new(Vec::new()));
        let m = |name, cap| FakeMap { name, cap, data: RefCell::new(BTreeMap::new()), log: log.clone() };
        (
            RuleMaps {
                workloads: m("workloads", 100),
                rules: m("rules", rule_cap),
                glob_anchors: m("anchors", 100),
                globs: m("globs", 100),
                applied: m("applied", 100),
            },
            log,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::fake::maps;
    use super::*;
    use crate::codec::{RULE_KEY, RULE_VAL, WORKLOAD_VAL};

    fn rs(hashes: &[u64]) -> RuleSet {
        let mut rules = Vec::new();
        for h in hashes {
            let mut k = vec![0u8; RULE_KEY];
            k[12] = 4; // RAMPART_K_FILE_EXACT
            k[16..24].copy_from_slice(&h.to_ne_bytes());
            rules.extend(k);
            rules.extend(vec![1u8; RULE_VAL]);
        }
        RuleSet { workload: vec![0; WORKLOAD_VAL], rules, ..Default::default() }
    }

    #[test]
    fn apply_swaps_generations_and_flips_after_all_writes() {
        let (m, log) = maps(100);
        let mut ix = RuleIndex::default();
        let a = m.apply(&mut ix, 42, &rs(&[1, 2, 3]), "h1").unwrap();
        assert_eq!((a.generation, a.previous_generation, a.entries), (1, None, 3));
        log.borrow_mut().clear();
        let b = m.apply(&mut ix, 42, &rs(&[4, 5]), "h2").unwrap();
        assert_eq!((b.generation, b.previous_generation, b.entries, b.removed_entries), (2, Some(1), 2, 3));
        // Order: reserve (applied), all rule writes, flip, bookkeeping, then old deletes.
        let l = log.borrow().clone();
        let flip = l.iter().position(|s| s == "put workloads").unwrap();
        assert!(l[..flip].iter().filter(|s| *s == "put rules").count() == 2);
        assert!(l[flip..].iter().all(|s| s != "put rules"));
        assert_eq!(l[flip..].iter().filter(|s| *s == "del rules").count(), 3);
        assert_eq!(m.rules.data.borrow().len(), 2);
        let listed = m.list().unwrap();
        assert_eq!(listed, vec![AppliedWorkload { workload: 42, generation: 2, entries: 2, tag: "h2".into() }]);
    }

    #[test]
    fn map_full_leaves_previous_generation_live() {
        let (m, _) = maps(5);
        let mut ix = RuleIndex::default();
        m.apply(&mut ix, 7, &rs(&[1, 2, 3]), "old").unwrap();
        let e = m.apply(&mut ix, 7, &rs(&[4, 5, 6]), "new").unwrap_err();
        assert_eq!(e.code, Code::MapFull);
        assert!(e.message.contains("rampart_rules is full"), "{}", e.message);
        assert_eq!(m.rules.data.borrow().len(), 3);
        assert_eq!(m.list().unwrap()[0].generation, 1);
        assert_eq!(m.list().unwrap()[0].tag, "old");
        // A later apply that fits does not reuse the reserved generation 2.
        let ok = m.apply(&mut ix, 7, &rs(&[9]), "n2").unwrap();
        assert_eq!(ok.generation, 3);
    }

    #[test]
    fn adopt_rebuilds_index_and_deletes_stale_generations() {
        let (m, _) = maps(100);
        let mut ix = RuleIndex::default();
        m.apply(&mut ix, 1, &rs(&[1, 2]), "a").unwrap();
        m.apply(&mut ix, 2, &rs(&[3]), "b").unwrap();
        // Simulate a crash mid-apply: a generation-2 key for workload 1 that never went live.
        let stale = rs(&[99]).entries(1, 2).pop().unwrap();
        m.rules.put(&stale.key, &stale.value).unwrap();
        let mut fresh = RuleIndex::default();
        assert_eq!(m.adopt(&mut fresh).unwrap(), 1);
        assert_eq!(m.rules.data.borrow().len(), 3);
        let r = m.apply(&mut fresh, 1, &rs(&[5]), "c").unwrap();
        assert_eq!(r.removed_entries, 2);
        assert!(m.remove(&mut fresh, 2).unwrap());
        assert_eq!(m.rules.data.borrow().len(), 1);
        assert!(!m.remove(&mut fresh, 2).unwrap());
    }
}
