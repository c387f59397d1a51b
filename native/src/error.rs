// SPDX-License-Identifier: Apache-2.0
//
// Stable error codes. Every failure that reaches JavaScript carries one of these as
// `error.code`; the message says what failed and why, in one line.
use std::fmt;

/// Stable, documented error codes (docs/native.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The kernel refused a BPF operation with EPERM/EACCES (missing CAP_BPF/CAP_SYS_ADMIN,
    /// lockdown, or a sandboxed kernel).
    BpfPerm,
    /// BPF-LSM programs cannot be loaded or attached on this kernel.
    LsmUnavailable,
    /// A rule map is full (E2BIG/ENOSPC/ENOMEM on update).
    MapFull,
    /// The verifier rejected a program.
    Verifier,
    /// A pinned map from an earlier daemon does not match this build (size/type changed).
    PinMismatch,
    /// Bad input from the caller (malformed rule set, unknown option...).
    InvalidArg,
    /// The enforcer was stopped, or the object needed for the call is not loaded.
    NotRunning,
    /// Something the kernel does not support (missing BTF, missing hook...).
    Unsupported,
    /// Any other failure.
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BpfPerm => "ERR_BPF_PERM",
            Code::LsmUnavailable => "ERR_LSM_UNAVAILABLE",
            Code::MapFull => "ERR_MAP_FULL",
            Code::Verifier => "ERR_VERIFIER",
            Code::PinMismatch => "ERR_PIN_MISMATCH",
            Code::InvalidArg => "ERR_INVALID_ARG",
            Code::NotRunning => "ERR_NOT_RUNNING",
            Code::Unsupported => "ERR_UNSUPPORTED",
            Code::Internal => "ERR_INTERNAL",
        }
    }
}

/// An error with a stable code and a one-line message.
#[derive(Debug, Clone, thiserror::Error)]
pub struct NativeError {
    pub code: Code,
    pub message: String,
}

impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl NativeError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        NativeError { code, message: message.into() }
    }

    /// Classify a libbpf error raised while doing `what`.
    pub fn bpf(what: &str, err: &libbpf_rs::Error) -> Self {
        use libbpf_rs::ErrorKind as K;
        let code = match err.kind() {
            K::PermissionDenied => Code::BpfPerm,
            K::TooBig | K::OutOfMemory => Code::MapFull,
            K::Unsupported => Code::Unsupported,
            _ => Code::Internal,
        };
        NativeError::new(code, format!("{what}: {err:#}"))
    }

    /// Classify a failure to load an object: EPERM, EINVAL from the verifier, pin mismatch.
    pub fn load(what: &str, err: &libbpf_rs::Error, log_tail: &str) -> Self {
        use libbpf_rs::ErrorKind as K;
        let text = format!("{err:#}");
        let code = if log_tail.contains("couldn't reuse pinned map") || log_tail.contains("reuse pinned map") {
            Code::PinMismatch
        } else if log_tail.contains("END PROG LOAD LOG") && !log_tail.contains("-- BEGIN PROG LOAD LOG --\n-- END") {
            // The verifier said something: EACCES/EINVAL from a rejected program.
            Code::Verifier
        } else {
            match err.kind() {
                K::PermissionDenied => Code::BpfPerm,
                K::InvalidInput | K::TooBig if log_tail.contains("-- BEGIN PROG LOAD LOG --") => Code::Verifier,
                K::InvalidInput => Code::Verifier,
                K::Unsupported | K::NotFound => Code::Unsupported,
                _ => Code::Internal,
            }
        };
        let tail: String = log_tail
            .lines()
            .filter(|l| !l.trim().is_empty())
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        let msg = if tail.is_empty() { format!("{what}: {text}") } else { format!("{what}: {text} [libbpf: {tail}]") };
        NativeError::new(code, msg)
    }
}

pub type NResult<T> = std::result::Result<T, NativeError>;

impl From<NativeError> for napi::Error<String> {
    fn from(e: NativeError) -> Self {
        napi::Error::new(e.code.as_str().to_string(), e.message)
    }
}
