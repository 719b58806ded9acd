// @generated shape of `diesel print-schema` against migrations/postgres, kept to portable
// types (BigInt, Text, Bool, Timestamp) so that one schema serves PostgreSQL and SQLite.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        email_verified_at -> Nullable<Timestamp>,
        credentials_version -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> BigInt,
        role_id -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        remember -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Text,
        ip -> Text,
        kind -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        session_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        spent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> BigInt,
        kid -> Text,
        algorithm -> Text,
        public_key -> Text,
        private_key_sealed -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    personal_access_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        scope -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        created_at -> Timestamp,
        action -> Text,
        actor_id -> Nullable<BigInt>,
        target_id -> Nullable<BigInt>,
        subject -> Text,
        details -> Text,
        ip -> Text,
        user_agent -> Text,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        created_at -> Timestamp,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_reset_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    throttle_events (id) {
        id -> BigInt,
        bucket -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    throttle_refusals (day, kind) {
        day -> Text,
        kind -> Text,
        count -> BigInt,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> BigInt,
        secret_sealed -> Text,
        enabled_at -> Nullable<Timestamp>,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
    }
}

diesel::table! {
    pending_sign_ins (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        credentials_version -> BigInt,
        require_verified -> Bool,
        remember -> Bool,
        api -> Bool,
        next_path -> Nullable<Text>,
        failures -> Integer,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    remembered_devices (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    identities (id) {
        id -> BigInt,
        provider -> Text,
        subject -> Text,
        user_id -> BigInt,
        email -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    auth_pending (id) {
        id -> BigInt,
        state_hash -> Text,
        browser_hash -> Text,
        provider -> Text,
        pkce_verifier -> Text,
        nonce -> Text,
        next_path -> Text,
        link_user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    identity_signups (id) {
        id -> BigInt,
        token_hash -> Text,
        provider -> Text,
        subject -> Text,
        email -> Text,
        email_verified -> Bool,
        username_hint -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    passkeys (id) {
        id -> BigInt,
        user_id -> BigInt,
        credential_id -> Text,
        user_handle -> Text,
        name -> Text,
        passkey -> Text,
        sign_count -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webauthn_ceremonies (id) {
        id -> BigInt,
        browser_hash -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        name -> Text,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(identities -> users (user_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(password_reset_tokens -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(personal_access_tokens -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    identities,
    auth_pending,
    identity_signups,
    users,
    roles,
    user_roles,
    sessions,
    audit_events,
    email_outbox,
    password_reset_tokens,
    email_tokens,
    throttle_events,
    refresh_tokens,
    signing_keys,
    personal_access_tokens,
    throttle_refusals,
    two_factor,
    recovery_codes,
    pending_sign_ins,
    remembered_devices,
    passkeys,
    webauthn_ceremonies,
);
