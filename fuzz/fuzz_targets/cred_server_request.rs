//! libFuzzer's entry for `keyfob::fuzzing::cred_server_request`, where its input and invariants are described.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keyfob::fuzzing::cred_server_request(data));
