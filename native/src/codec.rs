// SPDX-License-Identifier: Apache-2.0
//
// Pure encoding/decoding: rule-set buffers from the BPF compiler, ring-buffer records, per-CPU
// counters. No libbpf, no napi: everything here is covered by `cargo test`.
use crate::error::{Code, NResult, NativeError};
use crate::objects::enforcer::types as rt;
use crate::objects::monitor::types as et;

/// Largest `enum rampart_kind` value in bpf/include/rules.h (a test keeps them equal).
pub const RAMPART_KIND_MAX: u8 = 11;
use std::mem::{offset_of, size_of};

pub const EVENT_HDR: usize = size_of::<et::rp_event>();
pub const WORKLOAD_VAL: usize = size_of::<rt::rampart_workload>();
pub const RULE_KEY: usize = size_of::<rt::rampart_rule_key>();
pub const RULE_VAL: usize = size_of::<rt::rampart_rule_val>();
pub const ANCHOR_VAL: usize = size_of::<rt::rampart_glob_anchor>();
pub const GLOB_KEY: usize = size_of::<rt::rampart_glob_key>();
pub const GLOB_VAL: usize = size_of::<rt::rampart_glob>();

/// Which rule map an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleMap {
    Rules,
    GlobAnchors,
    Globs,
}

impl RuleMap {
    pub const ALL: [RuleMap; 3] = [RuleMap::Rules, RuleMap::GlobAnchors, RuleMap::Globs];
    pub fn key_size(self) -> usize {
        match self {
            RuleMap::Rules | RuleMap::GlobAnchors => RULE_KEY,
            RuleMap::Globs => GLOB_KEY,
        }
    }
    pub fn value_size(self) -> usize {
        match self {
            RuleMap::Rules => RULE_VAL,
            RuleMap::GlobAnchors => ANCHOR_VAL,
            RuleMap::Globs => GLOB_VAL,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            RuleMap::Rules => "rampart_rules",
            RuleMap::GlobAnchors => "rampart_glob_anchors",
            RuleMap::Globs => "rampart_globs",
        }
    }
}

// Both key types start with {u64 workload; u32 generation}: checked here once so the patching
// below can use one pair of offsets.
const _: () = {
    assert!(offset_of!(rt::rampart_rule_key, workload) == 0);
    assert!(offset_of!(rt::rampart_rule_key, generation) == 8);
    assert!(offset_of!(rt::rampart_glob_key, workload) == 0);
    assert!(offset_of!(rt::rampart_glob_key, generation) == 8);
    assert!(offset_of!(rt::rampart_workload, generation) == 0);
};

/// Read the {workload, generation} prefix of a rule/glob key.
pub fn key_scope(key: &[u8]) -> (u64, u32) {
    let wl = u64::from_ne_bytes(key[0..8].try_into().unwrap());
    let gen = u32::from_ne_bytes(key[8..12].try_into().unwrap());
    (wl, gen)
}

/// Overwrite the {workload, generation} prefix of a rule/glob key.
pub fn patch_key(key: &mut [u8], workload: u64, generation: u32) {
    key[0..8].copy_from_slice(&workload.to_ne_bytes());
    key[8..12].copy_from_slice(&generation.to_ne_bytes());
}

/// A compiled rule set for one workload, as produced by the BPF compiler: the workload value
/// plus flat arrays of fixed-size (key, value) pairs. Workload and generation fields in the
/// keys are ignored (the compiler emits 0) and filled in by `entries`.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub workload: Vec<u8>,
    pub rules: Vec<u8>,
    pub glob_anchors: Vec<u8>,
    pub globs: Vec<u8>,
}

/// One map write of a rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub map: RuleMap,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

impl RuleSet {
    fn part(&self, map: RuleMap) -> &[u8] {
        match map {
            RuleMap::Rules => &self.rules,
            RuleMap::GlobAnchors => &self.glob_anchors,
            RuleMap::Globs => &self.globs,
        }
    }

    /// Check sizes and reserved bytes; return a one-line error naming the field.
    pub fn validate(&self) -> NResult<()> {
        if self.workload.len() != WORKLOAD_VAL {
            return Err(NativeError::new(
                Code::InvalidArg,
                format!("ruleSet.workload: {} bytes, expected {WORKLOAD_VAL} (struct rampart_workload)", self.workload.len()),
            ));
        }
        for map in RuleMap::ALL {
            let rec = map.key_size() + map.value_size();
            let buf = self.part(map);
            if buf.len() % rec != 0 {
                return Err(NativeError::new(
                    Code::InvalidArg,
                    format!("ruleSet.{}: {} bytes is not a multiple of the {rec}-byte (key, value) record", field_name(map), buf.len()),
                ));
            }
            if matches!(map, RuleMap::Rules | RuleMap::GlobAnchors) {
                for (i, r) in buf.chunks(rec).enumerate() {
                    let kind = r[offset_of!(rt::rampart_rule_key, kind)];
                    let pad = &r[offset_of!(rt::rampart_rule_key, pad)..offset_of!(rt::rampart_rule_key, pad) + 3];
                    if kind == 0 || kind > RAMPART_KIND_MAX || pad != [0, 0, 0] {
                        return Err(NativeError::new(
                            Code::InvalidArg,
                            format!("ruleSet.{}[{i}]: invalid key (kind {kind}, pad {pad:?})", field_name(map)),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// All map writes for `workload` at `generation`, in a deterministic order: globs first,
    /// then anchors, then rules, so that an anchor or rule never points at a missing glob even
    /// while the generation is being written (it is not live yet anyway, but keep it tidy).
    pub fn entries(&self, workload: u64, generation: u32) -> Vec<Entry> {
        let mut out = Vec::new();
        for map in [RuleMap::Globs, RuleMap::GlobAnchors, RuleMap::Rules] {
            let ks = map.key_size();
            let rec = ks + map.value_size();
            for r in self.part(map).chunks_exact(rec) {
                let mut key = r[..ks].to_vec();
                patch_key(&mut key, workload, generation);
                out.push(Entry { map, key, value: r[ks..].to_vec() });
            }
        }
        out
    }

    /// The workload map value with the live generation filled in.
    pub fn workload_value(&self, generation: u32) -> Vec<u8> {
        let mut v = self.workload.clone();
        v[0..4].copy_from_slice(&generation.to_ne_bytes());
        v
    }

    pub fn entry_count(&self) -> usize {
        RuleMap::ALL
            .iter()
            .map(|m| self.part(*m).len() / (m.key_size() + m.value_size()))
            .sum()
    }
}

fn field_name(map: RuleMap) -> &'static str {
    match map {
        RuleMap::Rules => "rules",
        RuleMap::GlobAnchors => "globAnchors",
        RuleMap::Globs => "globs",
    }
}

/// Length of the ring-buffer record starting at `buf`, or an error if it is malformed.
pub fn record_len(buf: &[u8]) -> NResult<usize> {
    if buf.len() < EVENT_HDR {
        return Err(NativeError::new(Code::Internal, format!("ring record of {} bytes is shorter than the header", buf.len())));
    }
    let pl = u16::from_ne_bytes(buf[offset_of!(et::rp_event, path_len)..][..2].try_into().unwrap()) as usize;
    let sl = u16::from_ne_bytes(buf[offset_of!(et::rp_event, source_len)..][..2].try_into().unwrap()) as usize;
    let len = EVENT_HDR + pl + sl;
    if len > buf.len() {
        return Err(NativeError::new(Code::Internal, format!("ring record claims {len} bytes, has {}", buf.len())));
    }
    Ok(len)
}

/// Sum per-CPU u64 counters (one Vec<u8> per CPU, as libbpf returns them).
pub fn sum_percpu(values: &[Vec<u8>]) -> u64 {
    values
        .iter()
        .map(|v| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .fold(0u64, |a, b| a.wrapping_add(b))
}

/// The user-space bookkeeping kept per workload in the pinned `rp_applied` map, so a new
/// daemon can tell what an earlier one applied (Backend.list()).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedMeta {
    pub generation: u32,
    pub next_generation: u32,
    pub entries: u32,
    pub tag: String,
}

pub const APPLIED_TAG_MAX: usize = 64;
pub const APPLIED_VAL: usize = 16 + APPLIED_TAG_MAX;

impl AppliedMeta {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![0u8; APPLIED_VAL];
        v[0..4].copy_from_slice(&self.generation.to_ne_bytes());
        v[4..8].copy_from_slice(&self.next_generation.to_ne_bytes());
        v[8..12].copy_from_slice(&self.entries.to_ne_bytes());
        let t = self.tag.as_bytes();
        let n = t.len().min(APPLIED_TAG_MAX);
        v[12..16].copy_from_slice(&(n as u32).to_ne_bytes());
        v[16..16 + n].copy_from_slice(&t[..n]);
        v
    }
    pub fn decode(v: &[u8]) -> AppliedMeta {
        if v.len() < APPLIED_VAL {
            return AppliedMeta::default();
        }
        let u = |o: usize| u32::from_ne_bytes(v[o..o + 4].try_into().unwrap());
        let n = (u(12) as usize).min(APPLIED_TAG_MAX);
        AppliedMeta {
            generation: u(0),
            next_generation: u(4),
            entries: u(8),
            tag: String::from_utf8_lossy(&v[16..16 + n]).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_max_matches_rules_h() {
        let header = include_str!("../../bpf/include/rules.h");
        let max = header
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let rest = l.strip_prefix("RAMPART_K_")?;
                let v = rest.split('=').nth(1)?.trim().trim_end_matches(',').split_whitespace().next()?;
                v.trim_end_matches(',').parse::<u8>().ok()
            })
            .max()
            .unwrap();
        assert_eq!(max, RAMPART_KIND_MAX, "enum rampart_kind in rules.h changed");
    }

    fn rule_record(kind: u8, hash: u64) -> Vec<u8> {
        let mut k = vec![0u8; RULE_KEY];
        k[offset_of!(rt::rampart_rule_key, kind)] = kind;
        k[offset_of!(rt::rampart_rule_key, hash)..][..8].copy_from_slice(&hash.to_ne_bytes());
        k.extend(vec![7u8; RULE_VAL]);
        k
    }

    #[test]
    fn layout_matches_rules_h() {
        // Sizes documented in bpf/include/rules.h.
        assert_eq!(RULE_KEY, 32);
        assert_eq!(RULE_VAL, 80);
        assert_eq!(GLOB_KEY, 16);
        assert_eq!(GLOB_VAL, 4152);
        assert_eq!(ANCHOR_VAL, 8);
        assert_eq!(WORKLOAD_VAL, 32);
    }

    #[test]
    fn event_header_has_no_implicit_padding() {
        assert_eq!(EVENT_HDR, 128);
        assert_eq!(offset_of!(et::rp_event, comm), 104);
        assert_eq!(offset_of!(et::rp_event, _reserved), 120);
    }

    #[test]
    fn entries_patch_workload_and_generation() {
        let rs = RuleSet { workload: vec![0; WORKLOAD_VAL], rules: [rule_record(4, 11), rule_record(5, 12)].concat(), ..Default::default() };
        rs.validate().unwrap();
        let e = rs.entries(0xdead_beef_0000_0001, 7);
        assert_eq!(e.len(), 2);
        for x in &e {
            assert_eq!(key_scope(&x.key), (0xdead_beef_0000_0001, 7));
            assert_eq!(x.value, vec![7u8; RULE_VAL]);
        }
        assert_eq!(&rs.workload_value(9)[0..4], &9u32.to_ne_bytes());
    }

    #[test]
    fn validate_names_the_bad_field() {
        let rs = RuleSet { workload: vec![0; 3], ..Default::default() };
        assert!(rs.validate().unwrap_err().message.contains("ruleSet.workload"));
        let rs = RuleSet { workload: vec![0; WORKLOAD_VAL], rules: vec![0; 5], ..Default::default() };
        let e = rs.validate().unwrap_err();
        assert_eq!(e.code, Code::InvalidArg);
        assert!(e.message.contains("ruleSet.rules"));
        let rs = RuleSet { workload: vec![0; WORKLOAD_VAL], rules: rule_record(0, 1), ..Default::default() };
        assert!(rs.validate().unwrap_err().message.contains("rules[0]"));
    }

    #[test]
    fn record_len_checks_bounds() {
        let mut b = vec![0u8; EVENT_HDR + 10];
        b[offset_of!(et::rp_event, path_len)..][..2].copy_from_slice(&6u16.to_ne_bytes());
        b[offset_of!(et::rp_event, source_len)..][..2].copy_from_slice(&4u16.to_ne_bytes());
        assert_eq!(record_len(&b).unwrap(), EVENT_HDR + 10);
        b[offset_of!(et::rp_event, source_len)..][..2].copy_from_slice(&5u16.to_ne_bytes());
        assert!(record_len(&b).is_err());
        assert!(record_len(&b[..10]).is_err());
    }

    #[test]
    fn applied_meta_roundtrip() {
        let m = AppliedMeta { generation: 3, next_generation: 4, entries: 12, tag: "ab".repeat(40) };
        let d = AppliedMeta::decode(&m.encode());
        assert_eq!(d.generation, 3);
        assert_eq!(d.tag.len(), APPLIED_TAG_MAX);
    }

    #[test]
    fn percpu_sum() {
        assert_eq!(sum_percpu(&[1u64.to_ne_bytes().to_vec(), 41u64.to_ne_bytes().to_vec()]), 42);
    }
}
