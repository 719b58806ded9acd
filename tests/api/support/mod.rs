pub mod haproxy;
pub mod mock_idp;
pub mod nginx;
pub mod passkey;
pub mod postgres;
pub mod smtp;
