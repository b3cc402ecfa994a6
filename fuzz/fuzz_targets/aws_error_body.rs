//! libFuzzer's entry for `keyfob::fuzzing::aws_error_body`, where its input and invariants are described.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyfob::fuzzing::aws_error_body(data));
