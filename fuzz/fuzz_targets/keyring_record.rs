//! libFuzzer's entry for `keyfob::fuzzing::keyring_record`, where its input and invariants are described.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyfob::fuzzing::keyring_record(data));
