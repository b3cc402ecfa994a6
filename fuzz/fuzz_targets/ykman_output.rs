//! libFuzzer's entry for `keyfob::fuzzing::ykman_output`, where its input and invariants are described.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyfob::fuzzing::ykman_output(data));
