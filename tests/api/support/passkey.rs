//! A software passkey: a discoverable P-256 credential with user verification that answers
//! WebAuthn ceremonies as a browser and its authenticator together would, with the knobs
//! the tests need: the origin it reports, the relying party it signs for, its counter.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use serde_cbor_2::value::Value as Cbor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const BACKUP_ELIGIBLE: u8 = 0x08;
const BACKED_UP: u8 = 0x10;
const ATTESTED_DATA: u8 = 0x40;

pub struct SoftPasskey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The account's user handle, learnt at registration and sent back at every login.
    pub user_handle: Vec<u8>,
    /// The signature counter; each login sends it plus one, unless `synced`.
    pub counter: u32,
    /// A synced passkey: backed up, and its counter always 0.
    pub synced: bool,
    /// What the "browser" reports as the page's origin.
    pub origin: String,
    /// Sign for this relying party id instead of the one the options name.
    pub rp_id: Option<String>,
    /// Whether the "user" is verified (PIN, biometric).
    pub verifies_user: bool,
}

impl SoftPasskey {
    pub fn new(origin: &str) -> Self {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let mut credential_id = vec![0u8; 32];
        rand::rng().fill_bytes(&mut credential_id);
        Self {
            key: SigningKey::from_slice(&secret).expect("a P-256 key"),
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
            synced: false,
            origin: origin.to_owned(),
            rp_id: None,
            verifies_user: true,
        }
    }

    /// A synced passkey (counter always 0, backed up).
    pub fn synced(origin: &str) -> Self {
        Self { synced: true, ..Self::new(origin) }
    }

    fn flags(&self) -> u8 {
        let uv = if self.verifies_user { USER_VERIFIED } else { 0 };
        let backup = if self.synced { BACKUP_ELIGIBLE | BACKED_UP } else { 0 };
        USER_PRESENT | uv | backup
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("a challenge");
        let data =
            json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false });
        serde_json::to_vec(&data).unwrap()
    }

    fn rp_hash(&self, named: &str) -> Vec<u8> {
        Sha256::digest(self.rp_id.as_deref().unwrap_or(named).as_bytes()).to_vec()
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        let map: BTreeMap<Cbor, Cbor> = [
            (Cbor::Integer(1), Cbor::Integer(2)),
            (Cbor::Integer(3), Cbor::Integer(-7)),
            (Cbor::Integer(-1), Cbor::Integer(1)),
            (Cbor::Integer(-2), Cbor::Bytes(bytes[1..33].to_vec())),
            (Cbor::Integer(-3), Cbor::Bytes(bytes[33..65].to_vec())),
        ]
        .into_iter()
        .collect();
        serde_cbor_2::to_vec(&Cbor::Map(map)).unwrap()
    }

    /// Answers a registration start's JSON (`{"publicKey": …}`) with the credential JSON
    /// `PublicKeyCredential.toJSON()` would give.
    pub fn register(&mut self, start: &Value) -> Value {
        let options = &start["publicKey"];
        self.user_handle = B64.decode(options["user"]["id"].as_str().expect("a user id")).unwrap();
        let client_data = self.client_data("webauthn.create", options);
        let mut auth_data = self.rp_hash(options["rp"]["id"].as_str().expect("an rp id"));
        auth_data.push(self.flags() | ATTESTED_DATA);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&u16::try_from(self.credential_id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let attestation: BTreeMap<Cbor, Cbor> = [
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new())),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]
        .into_iter()
        .collect();
        let attestation = serde_cbor_2::to_vec(&Cbor::Map(attestation)).unwrap();
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": B64.encode(attestation),
                "clientDataJSON": B64.encode(client_data),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// Answers a login start's JSON (`{"publicKey": …}`) with an assertion, counting up.
    pub fn authenticate(&mut self, start: &Value) -> Value {
        let options = &start["publicKey"];
        if !self.synced {
            self.counter += 1;
        }
        let counter = if self.synced { 0 } else { self.counter };
        self.assertion(options, counter)
    }

    /// An assertion sending exactly `counter`.
    pub fn assertion(&self, options: &Value, counter: u32) -> Value {
        let client_data = self.client_data("webauthn.get", options);
        let mut auth_data = self.rp_hash(options["rpId"].as_str().expect("an rp id"));
        auth_data.push(self.flags());
        auth_data.extend_from_slice(&counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(auth_data),
                "clientDataJSON": B64.encode(client_data),
                "signature": B64.encode(signature.to_der().to_bytes()),
                "userHandle": B64.encode(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}
